/* init_svctab.h: the table of services init supervises. */
#ifndef INIT_SVCTAB_H
#define INIT_SVCTAB_H
#include "init_services.h"
struct service *svctab_get(int *n);
#endif
