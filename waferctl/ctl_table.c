/* ctl_table.c: plain-text tables for waferctl: columns sized to their
 * content, and on a terminal (or with COLUMNS set) no wider than it: the
 * widest columns give way first, a cut cell ends in "~". */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int ctl_columns(void)
{
	const char *e = getenv("COLUMNS");
	if (e && atoi(e) >= 20)
		return atoi(e);
	struct winsize ws;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return isatty(STDOUT_FILENO) ? 80 : 0;
}

#define TABLE_MAX_COLS 8
#define TABLE_MAX_ROWS 1024

struct ctl_table {
	int ncols, nrows;
	char *cells[TABLE_MAX_ROWS + 1][TABLE_MAX_COLS];
};

struct ctl_table *ctl_table_new(int ncols, const char *const *headers)
{
	struct ctl_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->ncols = ncols < TABLE_MAX_COLS ? ncols : TABLE_MAX_COLS;
	ctl_table_row(t, headers);
	return t;
}

void ctl_table_row(struct ctl_table *t, const char *const *cells)
{
	if (!t || t->nrows > TABLE_MAX_ROWS)
		return;
	for (int i = 0; i < t->ncols; i++)
		t->cells[t->nrows][i] = strdup(cells[i] ? cells[i] : "-");
	t->nrows++;
}

void ctl_table_print(struct ctl_table *t)
{
	size_t w[TABLE_MAX_COLS] = { 0 };
	if (!t)
		return;
	for (int r = 0; r < t->nrows; r++)
		for (int i = 0; i < t->ncols; i++)
			if (t->cells[r][i] && strlen(t->cells[r][i]) > w[i])
				w[i] = strlen(t->cells[r][i]);
	int cols = ctl_columns();
	for (;;) {   /* the widest column gives way, down to 6 */
		size_t total = 2 * (size_t)(t->ncols - 1), widest = 0;
		int wi = -1;
		for (int i = 0; i < t->ncols; i++) {
			total += w[i];
			if (w[i] > widest) {
				widest = w[i];
				wi = i;
			}
		}
		if (!cols || total <= (size_t)cols || wi < 0 || widest <= 6)
			break;
		w[wi]--;
	}
	for (int r = 0; r < t->nrows; r++) {
		for (int i = 0; i < t->ncols; i++) {
			const char *c = t->cells[r][i] ? t->cells[r][i] : "";
			int n = (int)strlen(c), cut = n > (int)w[i];
			int shown = cut ? (int)w[i] - 1 : n;
			printf("%.*s%s", shown, c, cut ? "~" : "");
			if (i < t->ncols - 1)
				printf("%*s", (int)w[i] - shown - cut + 2, "");
			free(t->cells[r][i]);
		}
		printf("\n");
	}
	free(t);
}
