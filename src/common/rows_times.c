/*
 * Rows times a matrix with each row's bits its own.
 *
 * OpenBLAS's sgemm gives a row of the product bits that depend on where the
 * row sits in the call: 1000 x 512 rows by a 512 x 128 matrix, against the
 * same rows taken 1 to 17 at a time, differ in 6 to 119 rows of the 1000
 * (0.3.21, Haswell kernels). A mixture spec's rule is the argmax over a
 * row's float projection, so a row on a boundary between two components
 * went one way in the report (the rows its codes left open, projected
 * together) and the other in `apply` (every row, in blocks): 4 rows of
 * 200,000 at 200k x 512. Here every product is a chain over k in order, one
 * rounding a step (fused multiply-add where the build has it), whatever the
 * other rows: the same bits for a row in any call, on any rank, in any
 * block, within one build (a build with FMA and one without round apart). Six rows by sixteen columns at a time in AVX2 registers (a row
 * alone: sixteen columns side by side, the same steps), it runs as fast as
 * the sgemm it replaces on these shapes, two threads (sgemm = 1): 100k x
 * 512 x 128 0.94-0.96, 500k x 128 x 128 0.82-1.08, the mixture's 500k x
 * 256 x 25 0.83. The matrix comes padded to a multiple of 16 columns, so
 * that the last columns run as a whole strip.
 */
#include "internal.h"

#include <math.h>
#include <string.h>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define TILE_AVX2 1
#endif

/* one step of every chain: c + a b, rounded once where the build fuses */
static inline float step(float a, float b, float c)
{
#ifdef __FMA__
	return fmaf(a, b, c);
#else
	return a * b + c; /* no FMA instruction to contract into */
#endif
}

#ifdef TILE_AVX2
/* six rows of x by sixteen columns of b (leading dimension lb) into z:
 * twelve chains of 8 in registers, with the two of b and a broadcast all
 * sixteen AVX2 registers (BLIS's Haswell shape) */
static void tile6x16(float *z, int64_t ldz, const float *x, int64_t d, const float *b,
		     int64_t lb)
{
	const float *x0 = x, *x1 = x0 + d, *x2 = x1 + d, *x3 = x2 + d, *x4 = x3 + d, *x5 = x4 + d;
	__m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00;
	__m256 a20 = a00, a21 = a00, a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;

	for (int64_t k = 0; k < d; k++) {
		__m256 c0 = _mm256_loadu_ps(b + k * lb), c1 = _mm256_loadu_ps(b + k * lb + 8), e;

		e = _mm256_broadcast_ss(x0 + k);
		a00 = _mm256_fmadd_ps(e, c0, a00);
		a01 = _mm256_fmadd_ps(e, c1, a01);
		e = _mm256_broadcast_ss(x1 + k);
		a10 = _mm256_fmadd_ps(e, c0, a10);
		a11 = _mm256_fmadd_ps(e, c1, a11);
		e = _mm256_broadcast_ss(x2 + k);
		a20 = _mm256_fmadd_ps(e, c0, a20);
		a21 = _mm256_fmadd_ps(e, c1, a21);
		e = _mm256_broadcast_ss(x3 + k);
		a30 = _mm256_fmadd_ps(e, c0, a30);
		a31 = _mm256_fmadd_ps(e, c1, a31);
		e = _mm256_broadcast_ss(x4 + k);
		a40 = _mm256_fmadd_ps(e, c0, a40);
		a41 = _mm256_fmadd_ps(e, c1, a41);
		e = _mm256_broadcast_ss(x5 + k);
		a50 = _mm256_fmadd_ps(e, c0, a50);
		a51 = _mm256_fmadd_ps(e, c1, a51);
	}
	_mm256_storeu_ps(z, a00);
	_mm256_storeu_ps(z + 8, a01);
	_mm256_storeu_ps(z + ldz, a10);
	_mm256_storeu_ps(z + ldz + 8, a11);
	_mm256_storeu_ps(z + 2 * ldz, a20);
	_mm256_storeu_ps(z + 2 * ldz + 8, a21);
	_mm256_storeu_ps(z + 3 * ldz, a30);
	_mm256_storeu_ps(z + 3 * ldz + 8, a31);
	_mm256_storeu_ps(z + 4 * ldz, a40);
	_mm256_storeu_ps(z + 4 * ldz + 8, a41);
	_mm256_storeu_ps(z + 5 * ldz, a50);
	_mm256_storeu_ps(z + 5 * ldz + 8, a51);
}
#endif

/* one row of x by sixteen columns of b into z: sixteen chains side by
 * side, the same steps as a tile's */
static void row16(float *z, const float *x, int64_t d, const float *b, int64_t lb)
{
	float acc[16] = {0};

	for (int64_t k = 0; k < d; k++) {
		const float *c = b + k * lb;
		float a = x[k];

#pragma omp simd
		for (int j = 0; j < 16; j++)
			acc[j] = step(a, c[j], acc[j]);
	}
	memcpy(z, acc, sizeof acc);
}

void fl__rows_times(float *z, int64_t ldz, const float *x, int64_t m, int64_t d, const float *bt,
		    int64_t r)
{
	int64_t lb = FL_ROWS_TIMES_LD(r);
	float last[6 * 16];

	for (int64_t j0 = 0; j0 < r; j0 += 16) {
		int64_t w = r - j0 < 16 ? r - j0 : 16, i = 0;

		/* the last columns: a whole strip of 16 (bt is padded) into last */
#ifdef TILE_AVX2
		for (; i + 6 <= m; i += 6) {
			if (w == 16) {
				tile6x16(z + i * ldz + j0, ldz, x + i * d, d, bt + j0, lb);
				continue;
			}
			tile6x16(last, 16, x + i * d, d, bt + j0, lb);
			for (int q = 0; q < 6; q++)
				memcpy(z + (i + q) * ldz + j0, last + q * 16, (size_t)w * sizeof *z);
		}
#endif
		for (; i < m; i++) {
			row16(last, x + i * d, d, bt + j0, lb);
			memcpy(z + i * ldz + j0, last, (size_t)w * sizeof *z);
		}
	}
}
