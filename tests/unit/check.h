/*
 * check.h - the unit-test harness: CHECK macros that count failures and
 * report file:line, a seeded RNG whose seed is printed and can be replayed
 * with FL_TEST_SEED=<n>, and the closing "N passed, N failed" line.
 */
#ifndef FL_CHECK_H
#define FL_CHECK_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_passed, check_failed;

#define CHECK(cond) do { \
	if (cond) check_passed++; \
	else { check_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_EQ_INT(a, b) do { \
	long long va_ = (long long)(a), vb_ = (long long)(b); \
	if (va_ == vb_) check_passed++; \
	else { check_failed++; fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
		__FILE__, __LINE__, #a, #b, va_, vb_); } \
} while (0)

/* |a - b| <= tol * max(1, |b|) */
#define CHECK_NEAR(a, b, tol) do { \
	double va_ = (double)(a), vb_ = (double)(b); \
	if (fabs(va_ - vb_) <= (tol) * fmax(1.0, fabs(vb_))) check_passed++; \
	else { check_failed++; fprintf(stderr, "%s:%d: %s ~ %s failed: %.17g vs %.17g (tol %g)\n", \
		__FILE__, __LINE__, #a, #b, va_, vb_, (double)(tol)); } \
} while (0)

/* A call returning an fl error code must return `code` */
#define CHECK_RC(call, code) do { \
	int rc_ = (call); \
	if (rc_ == (code)) check_passed++; \
	else { check_failed++; fprintf(stderr, "%s:%d: %s returned %d, expected %d (%s)\n", \
		__FILE__, __LINE__, #call, rc_, (int)(code), fl_last_error()); } \
} while (0)

/* The test seed: FL_TEST_SEED from the environment, else `dflt`; printed. */
static inline uint64_t check_seed(uint64_t dflt)
{
	const char *s = getenv("FL_TEST_SEED");
	uint64_t seed = s ? strtoull(s, NULL, 10) : dflt;

	printf("seed %" PRIu64 " (replay with FL_TEST_SEED=%" PRIu64 ")\n", seed, seed);
	return seed;
}

/* splitmix64: small, good enough for test data */
static inline uint64_t check_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline double check_uniform(uint64_t *state)
{
	return (double)(check_rand(state) >> 11) * (1.0 / 9007199254740992.0);
}

static inline int check_done(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
