/* metrics_label.h: label values of the Prometheus text exposition format,
 * escaped once here for every metric (VM names, disk and NIC ids that the
 * VMM reports, paths): a backslash, a double quote and a newline become
 * \\, \" and \n, so a value cannot end its label or add a line. */
#ifndef WAFER_METRICS_LABEL_H
#define WAFER_METRICS_LABEL_H
#include <stddef.h>

/* Escape in into out (size n, always NUL-terminated; an escape is never cut
 * in half). Returns out. */
const char *metrics_label(const char *in, char *out, size_t n);
#endif
