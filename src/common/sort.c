/* qsort comparators shared by the modules. The (value, row) orders are
 * total (ties by row), so qsort's result does not depend on its algorithm. */
#include "common/internal.h"

int fl__cmp_f64(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int fl__cmp_f64_row(const void *a, const void *b)
{
	const fl_f64_row *x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return (x->row > y->row) - (x->row < y->row);
}

int fl__cmp_f32_row(const void *a, const void *b)
{
	const fl_f32_row *x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return (x->row > y->row) - (x->row < y->row);
}
