/* enroll_limit.h: how many enrollment tokens one address may try. Each
 * address has ENROLL_FREE_TRIES wrong guesses; after that every further
 * wrong guess makes it wait twice as long as the last (1 s, 2 s, 4 s ...,
 * at most ENROLL_MAX_WAIT_S) before the next try is even looked at. The
 * table holds ENROLL_LIMIT_ADDRS addresses (the least recently seen is
 * forgotten first). Pure code: the caller passes the time and locks. */
#ifndef WAFER_ENROLL_LIMIT_H
#define WAFER_ENROLL_LIMIT_H
#include <stdint.h>

#define ENROLL_FREE_TRIES 5
#define ENROLL_MAX_WAIT_S 300
#define ENROLL_LIMIT_ADDRS 256

/* 0 if addr may try now, else the seconds it must still wait. */
int enroll_limit_wait(const char *addr, int64_t now_ms);
/* A wrong token from addr at now_ms. */
void enroll_limit_failed(const char *addr, int64_t now_ms);
/* Forget every address (enrollment done, or a test). */
void enroll_limit_reset(void);
#endif
