"""Tests of the faultline Python package: results against the `faultline`
command on the same data (FAULTLINE_CLI), zero-copy inputs, the GIL,
progress and Ctrl-C, clear errors, the estimators and the PyTorch helper."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import tracemalloc
import unittest

import numpy as np

import faultline

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "examples", "fashion_mnist", "data")
CLI = os.environ.get("FAULTLINE_CLI")

try:
    import pandas as pd
except ImportError:
    pd = None
try:
    import torch
except ImportError:
    torch = None


def example():
    """The bundled Fashion-MNIST example: labels, probs, two views, the metadata file."""
    return dict(labels=np.load(os.path.join(DATA, "labels.npy")),
                probs=np.load(os.path.join(DATA, "probs.npy")),
                views={"emb": np.load(os.path.join(DATA, "emb.npy")),
                       "pixels": np.load(os.path.join(DATA, "pixels.npy"))},
                meta=os.path.join(DATA, "meta.csv"))


def cli(*args):
    """Run the CLI; its exit status and stdout."""
    p = subprocess.run([CLI] + [str(a) for a in args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def norm(slices):
    """Slices as comparable JSON: the model files' names (which follow the
    JSON's name) taken out of the specs."""
    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k != "file"}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x
    return strip(slices)


class Tmp(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="faultline-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, True)

    def path(self, name):
        return os.path.join(self.tmp, name)


@unittest.skipUnless(CLI, "FAULTLINE_CLI is not set: no `faultline` command to compare with")
class TestAgainstCLI(Tmp):
    """The package gives the command's results on the same data."""

    def cli_discover(self, *extra):
        out = self.path("cli.json")
        rc, _, err = cli("discover", "--labels", os.path.join(DATA, "labels.npy"),
                         "--probs", os.path.join(DATA, "probs.npy"),
                         "--view", "emb=" + os.path.join(DATA, "emb.npy"),
                         "--view", "pixels=" + os.path.join(DATA, "pixels.npy"),
                         "--meta", os.path.join(DATA, "meta.csv"), "--id-column", "id",
                         "--json", out, "--quiet", *extra)
        self.assertEqual(rc, 0, err)
        with open(out) as f:
            return json.load(f)

    def test_discover_same_slices(self):
        want = self.cli_discover("--top", "6")
        d = example()
        for meta in ([d["meta"]] + ([pd.read_csv(d["meta"], float_precision="round_trip")]
                                    if pd else [])):
            r = faultline.discover(labels=d["labels"], probs=d["probs"], views=d["views"],
                                   metadata=meta, id_column="id", top=6, progress=False)
            self.assertEqual(len(r.slices), len(want["slices"]))
            self.assertEqual(norm(r.data["slices"]), norm(want["slices"]), type(meta))
            for s, w in zip(r.slices, want["slices"]):
                self.assertEqual(s.members.dtype, np.int64)
                np.testing.assert_array_equal(s.members, w["members"])
                self.assertEqual(s.size, w["size"])
                self.assertEqual(len(s.parts), len(w.get("parts", [])))
            self.assertEqual(r.dataset["failure_rate"], want["dataset"]["failure_rate"])

    def test_options_as_cli(self):
        want = self.cli_discover("--method", "kmeans", "--method", "predicates", "--no-holdout", "--k", "6",
                                 "--seed", "3", "--top", "4")
        d = example()
        r = faultline.discover(labels=d["labels"], probs=d["probs"], views=d["views"],
                               metadata=d["meta"], id_column="id", methods=["kmeans", "predicates"],
                               holdout=False, k=6, seed=3, top=4, progress=False)
        self.assertEqual(norm(r.data["slices"]), norm(want["slices"]))
        self.assertIsNone(r.slices[0].holdout)

    def test_apply_refuses_another_view(self):
        d = example()
        r = faultline.discover(labels=d["labels"], probs=d["probs"], views=d["views"],
                               top=5, progress=False)
        other = dict(d["views"])  # another model's 64-d embedding of the same images
        proj = np.random.default_rng(1).normal(size=(32, 64)).astype(np.float32)
        other["emb"] = np.maximum(d["views"]["pixels"] @ proj, 0).astype(np.float32)
        with self.assertRaisesRegex(faultline.InputError, "view emb does not look like"):
            faultline.apply(r, labels=d["labels"], probs=d["probs"], views=other, progress=False)
        with self.assertRaisesRegex(faultline.InputError, "view emb does not look like"):
            faultline.check(r, labels=d["labels"], probs=d["probs"], views=other,
                            max_lift=10, progress=False)
        a = faultline.apply(r, labels=d["labels"], probs=d["probs"], views=other,
                            allow_view_drift=True, progress=False)
        self.assertEqual(len(a.slices), len(r.slices))

    def test_apply_and_check_as_cli(self):
        d = example()
        run = self.path("run.json")
        r = faultline.discover(labels=d["labels"], probs=d["probs"], views=d["views"],
                               metadata=d["meta"], id_column="id", top=5, json=run,
                               progress=False)
        self.assertTrue(os.path.exists(self.path("run.mixture-emb.npz")))
        # a worse model: the first slice's rows get their probabilities rolled
        worse = d["probs"].copy()
        rows = r.slices[0].members
        worse[rows] = np.roll(worse[rows], 1, axis=1)
        np.save(self.path("worse.npy"), worse)
        args = [run, "--labels", os.path.join(DATA, "labels.npy"), "--probs",
                self.path("worse.npy"), "--view", "emb=" + os.path.join(DATA, "emb.npy"),
                "--view", "pixels=" + os.path.join(DATA, "pixels.npy"),
                "--meta", os.path.join(DATA, "meta.csv"), "--id-column", "id", "--quiet"]
        rc, _, err = cli("apply", *args, "--json", self.path("cli-applied.json"))
        self.assertEqual(rc, 0, err)
        with open(self.path("cli-applied.json")) as f:
            want = json.load(f)
        a = faultline.apply(run, labels=d["labels"], probs=worse, views=d["views"],
                            metadata=d["meta"], id_column="id", progress=False)
        self.assertEqual(norm(a.data["slices"]), norm(want["slices"]))
        self.assertGreater(a.slices[0].failure_rate, r.slices[0].failure_rate + 0.3)

        rc, out, err = cli("check", *args, "--max-regression", "0.05")
        self.assertEqual(rc, 1, err)    # a slice fails
        v = faultline.check(run, labels=d["labels"], probs=worse, views=d["views"],
                            metadata=d["meta"], id_column="id", max_regression=0.05,
                            markdown=self.path("pr.md"), progress=False)
        cli_lines = [line for line in out.splitlines() if line.split(" ")[0] in ("WARN", "FAIL")]
        self.assertEqual(["%s %s %s: %s" % (x.status, x.id, x.label, x.why) for x in v
                          if x.status != "PASS"], cli_lines)
        self.assertEqual(v[0].status, "FAIL")
        self.assertEqual(v.worst, "FAIL")
        self.assertFalse(v.ok)
        self.assertEqual(len(v), len(r.slices))
        self.assertTrue(os.path.getsize(self.path("pr.md")) > 0)
        same = faultline.check(r, labels=d["labels"], probs=d["probs"], views=d["views"],
                               metadata=d["meta"], id_column="id", max_regression=0.05,
                               progress=False)
        self.assertEqual({x.status for x in same}, {"PASS"})
        self.assertEqual(same.overall.status, "PASS")
        # the overall gate: worse probabilities raise the overall failure rate
        rc, out, err = cli("check", *args, "--max-overall-regression", "0.01")
        w = faultline.check(run, labels=d["labels"], probs=worse, views=d["views"],
                            metadata=d["meta"], id_column="id", max_overall_regression=0.01,
                            progress=False)
        self.assertEqual(w.overall.status, "FAIL")
        self.assertIn("overall failure rate rose", w.overall.why)
        self.assertFalse(w.ok)
        self.assertEqual(rc, 1, err)
        self.assertIn("FAIL overall: " + w.overall.why, out)

    def test_compare_as_cli(self):
        d = example()
        worse = d["probs"].copy()
        rows = np.flatnonzero(d["labels"] == 4)[:300]       # some coats get worse
        worse[rows] = np.roll(worse[rows], 2, axis=1)
        for name, probs in (("A", d["probs"]), ("B", worse)):
            os.mkdir(self.path(name))
            np.save(self.path(name + "/labels.npy"), d["labels"])
            np.save(self.path(name + "/probs.npy"), probs)
        rc, _, err = cli("compare", "--base", self.path("A"), "--candidate", self.path("B"),
                         "--view", "emb=" + os.path.join(DATA, "emb.npy"),
                         "--meta", os.path.join(DATA, "meta.csv"), "--id-column", "id",
                         "--json", self.path("reg.json"), "--quiet")
        self.assertEqual(rc, 0, err)
        with open(self.path("reg.json")) as f:
            want = json.load(f)
        r = faultline.compare(base=d["probs"], candidate=worse, labels=d["labels"],
                              views={"emb": d["views"]["emb"]}, metadata=d["meta"],
                              id_column="id", progress=False)
        self.assertEqual(norm(r.data["slices"]), norm(want["slices"]))
        self.assertTrue(r.slices and r.slices[0].comparison)


class TestReport(Tmp):
    @classmethod
    def setUpClass(cls):
        d = example()
        cls.d = d
        cls.report = faultline.discover(labels=d["labels"], probs=d["probs"],
                                        views={"emb": d["views"]["emb"]}, metadata=d["meta"],
                                        id_column="id", top=4, progress=False)

    def test_slices(self):
        r = self.report
        self.assertEqual(len(r), 4)
        self.assertIn("S1", r.text())
        for s in r.slices:
            self.assertEqual(len(s.members), s.size)
            self.assertEqual(len(s.member_half), s.size)
            self.assertEqual(len(s.holdout_members) + len(s.search_members), s.size)
            self.assertEqual(len(s.holdout_members), s.holdout["size"])
            fail = (self.d["probs"].argmax(1) != self.d["labels"])
            self.assertAlmostEqual(fail[s.members].mean(), s.failure_rate, places=9)
            self.assertIsInstance(s.spec, dict)
            self.assertTrue(s.label)
        self.assertTrue(any(s.parts for s in r.slices))

    @unittest.skipUnless(pd, "pandas is not installed")
    def test_to_frame(self):
        f = self.report.to_frame()
        self.assertEqual(list(f.index), [s.id for s in self.report.slices])
        self.assertEqual(list(f["size"]), [s.size for s in self.report.slices])
        self.assertIn("holdout_p_adjusted", f.columns)

    def test_json_html_load_apply(self):
        r = self.report
        sub = self.path("elsewhere")
        os.mkdir(sub)
        r.to_json(os.path.join(sub, "run.json"))
        models = [f for f in os.listdir(sub) if f.endswith(".npz")]
        self.assertTrue(models)            # the mixture models went with it
        r.to_html(self.path("run.html"))
        with open(self.path("run.html")) as f:
            self.assertIn("<html", f.read(2000).lower())
        self.assertIn("<iframe srcdoc=", r._repr_html_())
        back = faultline.load(os.path.join(sub, "run.json"))
        self.assertEqual(norm(back.data["slices"]), norm(r.data["slices"]))
        self.assertEqual(back.text(), r.text())
        # same data, same rows: every spec selects exactly its members again
        for src in (back, r):
            a = faultline.apply(src, labels=self.d["labels"], probs=self.d["probs"],
                                views={"emb": self.d["views"]["emb"]}, metadata=self.d["meta"],
                                id_column="id", progress=False)
            for s, t in zip(r.slices, a.slices):
                np.testing.assert_array_equal(np.sort(s.members), np.sort(t.members))

    def test_json_html_at_discover(self):
        d = self.d
        r = faultline.discover(labels=d["labels"], probs=d["probs"], views={"emb": d["views"]["emb"]},
                               json=self.path("r.json"), html=self.path("r.html"),
                               max_members=3, top=3, progress=False)
        with open(self.path("r.json")) as f:
            saved = json.load(f)
        self.assertTrue(all(len(s["members"]) <= 3 for s in saved["slices"]))
        self.assertEqual(len(r.slices[0].members), r.slices[0].size)  # all of them in Python
        self.assertTrue(os.path.exists(self.path("r.html")))
        self.assertEqual(r.path, self.path("r.json"))

    def test_ids_and_dict_metadata(self):
        d = self.d
        meta = {"group": np.where(d["labels"] % 2 == 0, "even", "odd"),
                "w": np.linspace(0, 1, len(d["labels"]))}
        ids = np.array(["s%05d" % i for i in range(len(d["labels"]))])
        r = faultline.discover(labels=d["labels"], probs=d["probs"], metadata=meta, ids=ids,
                               methods="predicates", top=3, progress=False)
        cols = {c["name"]: c["type"] for c in r.dataset["columns"]}
        self.assertEqual(cols, {"id": "id", "group": "categorical", "w": "numeric"})
        s = r.slices[0]
        self.assertTrue(s.prototypes)
        self.assertTrue(all(p in set(ids[s.members]) for p in s.prototypes))


    def test_phrases(self):
        """A phrase embedded along a slice's shift from the mean describes it best."""
        d, s = self.d, self.report.slices[1]
        emb = d["views"]["emb"]
        rows = np.concatenate([s.members])
        shift = emb[rows].mean(0) - emb.mean(0)
        rng = np.random.default_rng(0)
        pe = np.vstack([rng.standard_normal((3, emb.shape[1])) * 0.01, shift]).astype(np.float32)
        r = faultline.discover(labels=d["labels"], probs=d["probs"], views={"emb": emb},
                               metadata=d["meta"], id_column="id", top=4, progress=False,
                               phrases=["p0", "p1", "p2", "the shift"], phrase_embeddings=pe,
                               phrase_view="emb")
        self.assertEqual(r.slices[1].phrases[0]["text"], "the shift")
        with self.assertRaises(ValueError):
            faultline.discover(labels=d["labels"], probs=d["probs"], views={"emb": emb},
                               phrases=["a"], phrase_view="emb")


class TestZeroCopy(unittest.TestCase):
    """C-contiguous float32 (int64 labels) arrays are read in place."""

    def run_discover(self, emb, labels, probs, **kw):
        return faultline.discover(labels=labels, probs=probs, views={"emb": emb},
                                  methods="kmeans", top=2, progress=False, **kw)

    def test_addresses(self):
        d = example()
        emb, labels, probs = d["views"]["emb"], d["labels"], d["probs"]
        self.assertEqual((emb.dtype, labels.dtype, probs.dtype),
                         (np.float32, np.int64, np.float32))
        r = self.run_discover(emb, labels, probs)
        addr = r._h.addresses()
        self.assertEqual(addr["emb"], emb.ctypes.data)
        self.assertEqual(addr["labels"], labels.ctypes.data)
        self.assertEqual(addr["probs"], probs.ctypes.data)
        # another dtype or layout is converted once: the library reads a copy
        emb64 = emb.astype(np.float64)
        r64 = self.run_discover(emb64, labels.astype(np.int32), np.asfortranarray(probs))
        addr = r64._h.addresses()
        self.assertNotEqual(addr["emb"], emb64.ctypes.data)
        self.assertNotEqual(addr["probs"], probs.ctypes.data)
        self.assertEqual([s.size for s in r64.slices], [s.size for s in r.slices])

    def test_peak_memory(self):
        rng = np.random.default_rng(0)
        n, dim = 40000, 128                                       # a 20 MB view
        emb = rng.standard_normal((n, dim), dtype=np.float32)
        labels = rng.integers(0, 2, n)
        probs = np.full((n, 2), 0.5, dtype=np.float32)
        probs[:, 0] = np.where(emb[:, 0] > 1, 0.9, 0.2)
        probs[:, 1] = 1 - probs[:, 0]
        peaks = []
        for x in (emb, emb.astype(np.float64)):
            tracemalloc.start()
            self.run_discover(x, labels, probs, holdout=False)
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        self.assertLess(peaks[0], emb.nbytes // 4)     # no copy of the view
        self.assertGreaterEqual(peaks[1], emb.nbytes)  # the float64 one was converted

    @unittest.skipUnless(pd, "pandas is not installed")
    def test_pandas_columns(self):
        d = example()
        labels = pd.Series(d["labels"])
        probs = pd.DataFrame(d["probs"])
        r = self.run_discover(d["views"]["emb"], labels, probs)
        self.assertEqual(r._h.addresses()["labels"], labels.to_numpy().ctypes.data)
        want = self.run_discover(d["views"]["emb"], d["labels"], d["probs"])
        self.assertEqual(norm(r.data["slices"]), norm(want.data["slices"]))

    @unittest.skipUnless(torch, "python3-torch is not installed")
    def test_torch_tensor(self):
        d = example()
        emb = torch.from_numpy(d["views"]["emb"])
        labels = torch.from_numpy(d["labels"])
        r = self.run_discover(emb, labels, torch.from_numpy(d["probs"]))
        self.assertEqual(r._h.addresses()["emb"], emb.data_ptr())
        self.assertEqual(r._h.addresses()["labels"], labels.data_ptr())


class TestResponsive(Tmp):
    def test_gil_released(self):
        """While the library computes in one thread, Python runs in another:
        the longest pause of this thread's loop is far shorter than the run."""
        d = example()
        done = threading.Event()

        def work():
            try:
                faultline.discover(labels=d["labels"], probs=d["probs"], views=d["views"],
                                   threads=1, progress=False)
            finally:
                done.set()
        t = threading.Thread(target=work)
        t0 = last = time.perf_counter()
        gap = 0
        t.start()
        while not done.is_set():
            now = time.perf_counter()
            gap, last = max(gap, now - last), now
        t.join()
        run = time.perf_counter() - t0
        self.assertGreater(run, 0.5)
        self.assertLess(gap, min(0.25, run / 4), "the loop stopped %.2f s of %.2f s" % (gap, run))

    def test_progress_callable(self):
        d = example()
        seen = []
        faultline.discover(labels=d["labels"], probs=d["probs"], views={"emb": d["views"]["emb"]},
                           progress=lambda stage, done, total: seen.append((stage, done, total)))
        self.assertTrue(seen)
        self.assertTrue(all(isinstance(s, str) and 0 <= k <= n for s, k, n in seen))
        self.assertTrue(any(s.startswith("mixture") for s, _, _ in seen))

    def test_tqdm_by_default(self):
        try:
            import tqdm  # noqa: F401
        except ImportError:
            self.skipTest("python3-tqdm is not installed: progress stays silent")
        import contextlib
        import io
        d = example()
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            faultline.discover(labels=d["labels"], probs=d["probs"],
                               views={"emb": d["views"]["emb"]}, top=2)
        self.assertIn("mixture view=emb", err.getvalue())
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            faultline.discover(labels=d["labels"], probs=d["probs"],
                               views={"emb": d["views"]["emb"]}, top=2, progress=False)
        self.assertEqual(err.getvalue(), "")

    def test_interrupt_leaves_nothing(self):
        d = example()

        def interrupt(stage, done, total):
            raise KeyboardInterrupt
        with self.assertRaises(KeyboardInterrupt):
            faultline.discover(labels=d["labels"], probs=d["probs"], views=d["views"],
                               json=self.path("run.json"), html=self.path("run.html"),
                               progress=interrupt)
        self.assertEqual(os.listdir(self.tmp), [])

    def test_ctrl_c(self):
        """SIGINT while the library computes (no Python running): cancelled
        through the library, KeyboardInterrupt, no file written."""
        script = textwrap.dedent("""
            import sys, numpy as np, faultline
            d, out = sys.argv[1], sys.argv[2]
            rng = np.random.default_rng(0)
            k = 8
            labels = np.tile(np.load(d + "/labels.npy"), k)
            probs = np.tile(np.load(d + "/probs.npy"), (k, 1))
            emb = np.tile(np.load(d + "/emb.npy"), (k, 1))
            emb += rng.standard_normal(emb.shape, dtype=np.float32)
            print("started", flush=True)
            try:
                faultline.discover(labels=labels, probs=probs, views={"emb": emb},
                                   json=out + "/run.json", html=out + "/run.html",
                                   components=40, progress=False)
                print("finished")
            except KeyboardInterrupt:
                print("cancelled")
        """)
        p = subprocess.Popen([sys.executable, "-c", script, DATA, self.tmp],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.stdout.readline().strip(), "started")
        time.sleep(0.5)
        t0 = time.perf_counter()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
        self.assertEqual(out.strip(), "cancelled", err)
        self.assertLess(time.perf_counter() - t0, 10)
        self.assertEqual(os.listdir(self.tmp), [])


class TestErrors(unittest.TestCase):
    """Bad input: an exception naming the array, column or row."""

    @classmethod
    def setUpClass(cls):
        cls.d = example()

    def check(self, exc, words, **kw):
        args = dict(labels=self.d["labels"], probs=self.d["probs"],
                    views={"emb": self.d["views"]["emb"]}, progress=False)
        args.update(kw)
        with self.assertRaises(exc) as cm:
            faultline.discover(**args)
        for w in words:
            self.assertIn(w, str(cm.exception))
        return cm.exception

    def test_rows_disagree(self):
        self.check(ValueError, ["row counts disagree", "probs", "9999", "10000"],
                   probs=self.d["probs"][:9999])

    def test_probs_not_normalised(self):
        p = self.d["probs"].copy()
        p[17] *= 2
        e = self.check(faultline.InputError, ["probs", "row 17", "logits"], probs=p)
        self.assertIsInstance(e, ValueError)
        self.assertEqual(e.code, -7)

    def test_label_out_of_range(self):
        y = self.d["labels"].copy()
        y[5] = 12
        self.check(faultline.InputError, ["labels", "row 5", "12"], labels=y)

    def test_nan_in_view(self):
        e = self.d["views"]["emb"].copy()
        e[42, 3] = np.nan
        self.check(faultline.InputError, ["emb", "row 42"], views={"emb": e})

    def test_shapes_and_types(self):
        self.check(ValueError, ["probs must be 2-D"], probs=self.d["probs"][:, 0])
        self.check(ValueError, ["labels", "row 3", "not an integer"],
                   labels=np.where(np.arange(10000) == 3, 0.5, self.d["labels"]))
        self.check(TypeError, ["unknown option 'topp'"], topp=3)
        self.check(faultline.InputError, ["top"], top=-1)
        self.check(TypeError, ["holdout", "True or False"], holdout="yes")

    def test_metadata(self):
        n = len(self.d["labels"])
        self.check(faultline.InputError, ["nope"], metadata={"a": np.arange(n)}, id_column="nope")
        self.check(ValueError, ["metadata column 'b'", "9"],
                   metadata={"a": np.arange(n), "b": np.arange(9)})
        self.check(ValueError, ["row counts disagree", "metadata"],
                   metadata={"a": np.arange(n - 1)})
        self.check(faultline.Error, ["no-such.csv"], metadata="/no-such.csv")


class TestOptions(unittest.TestCase):
    def test_from_library(self):
        o = faultline.options()
        self.assertEqual(o["top"].default, 10)
        self.assertEqual(o["holdout"].default, True)
        self.assertAlmostEqual(o["fdr"].default, 0.05)
        self.assertEqual(o["methods"].choices, ["mixture", "kmeans", "direction", "predicates"])
        self.assertIsNone(o["group_column"].default)

    @unittest.skipUnless(CLI, "FAULTLINE_CLI is not set")
    def test_every_option_in_cli_help(self):
        _, out, err = cli("discover", "--help")
        text = out + err
        flag = {"methods": "--method", "map": "--html"}   # the CLI's own words for these
        for name in faultline.options():
            self.assertIn(flag.get(name, "--" + name.replace("_", "-")),
                          text.replace("--no-", "--"), name)


class TestReadme(unittest.TestCase):
    @unittest.skipUnless(pd, "pandas is not installed")
    def test_from_python_example(self):
        """The README's example runs and prints the slices' table."""
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
            text = f.read()
        section = text[text.index("## From Python"):]
        start = section.index("```python") + len("```python")
        code = section[start:section.index("```", start)]
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("S1", out.stdout)
        self.assertIn("label in {Pullover", out.stdout)


class TestEstimators(unittest.TestCase):
    def test_no_sklearn_import(self):
        code = "import sys, faultline; print('sklearn' in sys.modules, 'torch' in sys.modules)"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        self.assertEqual(out.stdout.strip(), "False False", out.stderr)

    def test_mixture_slicer(self):
        d = example()
        m = faultline.MixtureSlicer(n_slices=3, random_state=1)
        self.assertEqual(m.get_params()["n_slices"], 3)
        self.assertIs(m.set_params(n_slices=4), m)
        self.assertEqual(m.n_slices, 4)
        with self.assertRaises(ValueError):
            m.set_params(nope=1)
        with self.assertRaises(RuntimeError):
            m.predict(embeddings=d["views"]["emb"])
        onehot = np.eye(10)[d["labels"]]
        self.assertIs(m.fit(embeddings=d["views"]["emb"], targets=onehot, pred_probs=d["probs"]), m)
        self.assertEqual(len(m.slices_), 4)
        self.assertTrue(all(s.found_by[0]["method"] == "mixture" for s in m.slices_))
        proba = m.predict_proba(embeddings=d["views"]["emb"])
        pred = m.predict(embeddings=d["views"]["emb"])
        self.assertEqual(proba.shape, (10000, 4))
        self.assertEqual(pred.shape, (10000, 4))
        for j, s in enumerate(m.slices_):
            np.testing.assert_array_equal(np.flatnonzero(proba[:, j]), np.sort(s.members))
        self.assertTrue((pred.sum(1) <= 1).all())
        # a failure signal is >= 0: -log(p + 1e-7) would be -1e-7 where p = 1
        loss = -np.log(np.clip(d["probs"][np.arange(10000), d["labels"]], 1e-7, 1))
        m2 = faultline.MixtureSlicer(n_slices=2).fit(d["views"]["emb"], losses=loss)
        self.assertEqual(m2.report_.dataset["failure"]["binary"], False)
        # Domino's way: a table and its column names
        table = {"emb": d["views"]["emb"], "target": d["labels"], "pred_probs": d["probs"]}
        m3 = faultline.MixtureSlicer(n_slices=4, random_state=1).fit(data=table, embeddings="emb")
        self.assertEqual(norm(m3.report_.data["slices"]), norm(m.report_.data["slices"]))
        np.testing.assert_array_equal(m3.predict(data=table, embeddings="emb"), pred)

    @unittest.skipUnless(pd, "pandas is not installed")
    def test_predicate_slicer(self):
        rng = np.random.default_rng(0)
        n = 4000
        X = pd.DataFrame({"color": rng.choice(["red", "green", "blue"], n),
                          "size": rng.choice(["S", "M", "L"], n),
                          "shop": rng.choice(["a", "b"], n)})
        planted = (X["color"] == "red") & (X["size"] == "L")
        errors = (rng.random(n) < np.where(planted, 0.6, 0.05)).astype(float)
        s = faultline.PredicateSlicer(alpha=0.95, k=2, max_l=2, min_sup=10)
        self.assertIs(s.fit(X, errors), s)
        self.assertEqual(list(s.top_slices_[0]), ["red", "L", None])
        self.assertEqual(s.top_slices_.shape, (len(s.slices_), 3))
        st = s.top_slices_statistics_[0]
        self.assertEqual(st["slice_size"], int(planted.sum()))
        self.assertAlmostEqual(st["slice_average_error"], errors[planted].mean())
        self.assertAlmostEqual(s.average_error_, errors.mean())
        t = s.transform(X)
        self.assertEqual(t.shape, (n, len(s.slices_)))
        np.testing.assert_array_equal(t[:, 0], planted.to_numpy().astype(int))
        self.assertEqual(list(s.get_feature_names_out())[:1], ["slice_0"])
        self.assertEqual(s.get_params(), {"alpha": 0.95, "k": 2, "max_l": 2, "min_sup": 10,
                                          "options": None})


@unittest.skipUnless(torch, "python3-torch is not installed: faultline.torch not tested")
class TestTorch(unittest.TestCase):
    def test_collect(self):
        from faultline.torch import collect
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(),
                                    torch.nn.Linear(16, 3))
        x = torch.randn(300, 8)
        y = torch.randint(0, 3, (300,))
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=64)
        out = collect(model, loader, layer="1")
        self.assertEqual(out.labels.dtype, np.int64)
        np.testing.assert_array_equal(out.labels, y.numpy())
        self.assertEqual(out.probs.shape, (300, 3))
        np.testing.assert_allclose(out.probs.sum(1), 1, atol=1e-5)
        with torch.no_grad():
            want = torch.relu(model[0](x)).numpy()
            np.testing.assert_allclose(out.embedding, want, atol=1e-6)
            np.testing.assert_allclose(out.probs, torch.softmax(model(x), 1).numpy(), atol=1e-6)
        self.assertTrue(model.training)       # left as it was
        r = faultline.discover(**out.kwargs("hidden"), methods="kmeans", min_size=10,
                               progress=False)
        self.assertEqual(r.dataset["n"], 300)
        with self.assertRaises(ValueError) as cm:
            collect(model, loader, layer="nope")
        self.assertIn("nope", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
