/* ctl_table.c: plain-text tables for waferctl (columns sized to content). */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	for (int r = 0; r < t->nrows; r++) {
		for (int i = 0; i < t->ncols; i++) {
			const char *c = t->cells[r][i] ? t->cells[r][i] : "";
			if (i == t->ncols - 1)
				printf("%s", c);
			else
				printf("%-*s  ", (int)w[i], c);
			free(t->cells[r][i]);
		}
		printf("\n");
	}
	free(t);
}
