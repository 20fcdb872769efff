/*
 * faultline.h - the public interface of libfaultline.
 *
 * faultline finds where a trained model fails systematically: given what a
 * model did on an evaluation set (labels, predicted probabilities, or any
 * per-sample failure signal) and one or more views of the samples
 * (embeddings, metadata), it returns a ranked list of error slices with
 * honest statistics. This header includes every part of the API:
 *
 *   faultline/core.h     error codes, messages, version, progress callback
 *   faultline/io.h       .npy / .npz / CSV readers, .npy writer
 *   faultline/stats.h    failure signal, slice statistics
 *   faultline/data.h     validation of a model's outputs
 *   faultline/candidate.h a candidate slice, as methods return it
 *   faultline/cluster.h  k-means and k-means discovery of failing clusters
 *   faultline/mixture.h  PCA, the error-aware mixture (Domino) and its discovery
 *   faultline/direction.h failure directions (cross-fitted linear classifier)
 *   faultline/predicates.h exact search for failing conjunctions of metadata predicates
 *   faultline/synth.h    synthetic data with planted failing slices
 *   faultline/report.h   ranked slices and the JSON report
 *   faultline/spec.h     slice specs applied to held-out or new rows
 *   faultline/pipeline.h one call per verb: fl_discover, fl_apply, fl_check, fl_compare
 *
 * Conventions (all headers): functions return 0 or a negative FL_E* code
 * and leave a message in fl_last_error(). Out-parameters come first,
 * except that a function acting on an existing object takes the object
 * first: those that change it (fl_report_add_view(r, ...)) and the
 * accessors that read a part of it (fl_array_f32, fl_array_f64,
 * fl_array_i64, fl_report_view_info, fl_report_confusions,
 * fl_report_breakdown, fl_discover_opts_get: the object, which part, then
 * where it goes). A path or stream written to is not an out-parameter
 * (fl_report_write_json(r, path)). What comes back through `T **out` is
 * owned by the caller and released by the matching _free (which accepts
 * NULL); options structs carry a version and have an FL_..._INIT
 * initialiser; NULL options mean defaults.
 */
#ifndef FAULTLINE_H
#define FAULTLINE_H

#include "faultline/core.h"
#include "faultline/io.h"
#include "faultline/stats.h"
#include "faultline/data.h"
#include "faultline/candidate.h"
#include "faultline/cluster.h"
#include "faultline/mixture.h"
#include "faultline/direction.h"
#include "faultline/predicates.h"
#include "faultline/synth.h"
#include "faultline/report.h"
#include "faultline/spec.h"
#include "faultline/comm.h"
#include "faultline/pipeline.h"

#endif
