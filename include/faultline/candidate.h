/*
 * faultline/candidate.h - a candidate slice, as every discovery method
 * returns it and the report ranks it.
 */
#ifndef FAULTLINE_CANDIDATE_H
#define FAULTLINE_CANDIDATE_H

#include "core.h"
#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Another method/view result merged into a slice (fl_report_merge). */
typedef struct fl_source {
	char method[32];
	char view[64];
	int32_t component;
	double jaccard;         /**< overlap of its members with the slice's */
	double score;           /**< its own score */
} fl_source;

/**
 * A candidate slice found by a discovery method. Every pointer is owned by
 * the candidate (released by fl_candidate_clear) and may be NULL unless
 * marked otherwise.
 */
typedef struct fl_candidate {
	int64_t *members;       /**< row indices, most typical first (not NULL when n_members > 0) */
	float *member_scores;   /**< membership strength, same order, non-increasing */
	int64_t n_members;
	fl_slice_stats stats;
	double score;           /**< ranking score (method-specific, larger = better) */
	char method[32];        /**< "kmeans", "mixture", "predicates", ... */
	char view[64];          /**< view name (truncated to 63 bytes); "" for metadata */
	int32_t component;      /**< cluster / component index within its method and view */
	float *centroid;        /**< kmeans: dim floats, the region's centre */
	int64_t dim;            /**< length of centroid */
	float radius;           /**< kmeans: the region's radius (see fl_discover_kmeans) */
	char *description;      /**< plain-words description ("age in [37, 45) AND sex = F") */
	char *spec_json;        /**< the rule that re-identifies the slice in new data, as
	                             one JSON object written by the method (embedded
	                             verbatim in the report's "spec"); NULL for kmeans,
	                             whose spec the report writes from centroid/radius */
	fl_source *also;        /**< results of other methods or views merged into this one */
	int32_t n_also;
	/* confirmation on held-out rows (fl_report_confirm); has_holdout 0 before */
	int has_holdout;
	fl_slice_stats holdout;     /**< the slice's rule re-measured on the holdout rows */
	int64_t *holdout_members;   /**< holdout rows the rule selects, in row order */
	int64_t n_holdout_members;
	double p_adjusted;          /**< holdout p-value adjusted (Benjamini-Hochberg) over
	                                 every slice confirmed in the same call */
	int replicated;             /**< p_adjusted <= the call's q */
	/* the metadata conjunction that best describes the members (fl_report_describe) */
	char *explanation;          /**< "class = Shirt AND width in [17, 20)", or NULL */
	double explanation_precision; /**< share of the rows it selects that are members */
	double explanation_recall;    /**< share of the members it selects */
	/* phrases aligned with the slice in a text-image space (fl_report_describe_phrases) */
	int32_t phrase_idx[3];      /**< indices into the phrase list, best first */
	double phrase_score[3];     /**< phrase embedding . (slice mean - overall mean) */
	int32_t n_phrases;
	/* two models compared on the slice's rows (members and holdout members):
	 * both right, only the base right, only the candidate right, both wrong */
	int has_pair_counts;
	int64_t pair_counts[4];
	/* a cause (fl_report_causes): the slice measured on every row, what it
	 * accounts for, and the results grouped beneath it */
	int32_t round;              /**< the search that found it: 1 on every row,
	                                 r > 1 on the rows outside the causes of
	                                 the searches before (0: not recorded) */
	fl_slice_stats whole;       /**< members and holdout members together, on every row
	                                 (whole.size 0 before fl_report_causes) */
	double excess;              /**< failures beyond the rate outside on every row:
	                                 whole.size x (inside - outside rate) */
	struct fl_candidate *parts; /**< results that are pieces of this cause
	                                 (each holds no parts of its own), by excess */
	int32_t n_parts;
} fl_candidate;

/** Release the buffers inside a candidate (not the struct) and zero it. Accepts NULL. */
FL_API void fl_candidate_clear(fl_candidate *c);

/**
 * Release an array of candidates as the discovery methods return it: clear
 * each of the n candidates (fl_candidate_clear), then free(c). Accepts NULL
 * (then n is ignored); n must not exceed the array's length.
 *
 * @param c  the array, malloc'ed (as from fl_discover_kmeans and the other
 *           methods), or NULL; invalid afterwards
 * @param n  number of candidates in c
 */
FL_API void fl_candidates_free(fl_candidate *c, int32_t n);

#ifdef __cplusplus
}
#endif
#endif
