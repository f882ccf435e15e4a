"""Run presidio-analyzer offline on a JSONL corpus (runs in benchmarks/.venv-presidio).

No NLP model: the `no_op` engine, so only pattern and checksum recognisers run (the
same kind of detection aiposture's `pii` detector does). Every predefined recogniser
for the compared types is added for English, including those presidio ships disabled
or registered for another language (ABA routing, UK NINO, Aadhaar, Spanish NIF/NIE,
German tax id). tldextract is kept from fetching the public-suffix list.

Writes one line per input: {"id", "entities": [{"type", "start", "end", "score"}]} and,
last, {"_timing": CPU seconds spent in analyze() only, "_chars": characters analysed}.
"""

from __future__ import annotations

import json
import sys
import time

import tldextract

tldextract.extract = tldextract.TLDExtract(suffix_list_urls=())  # no network

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry  # noqa: E402
from presidio_analyzer.nlp_engine import NlpEngineProvider  # noqa: E402
from presidio_analyzer.predefined_recognizers import (  # noqa: E402
    AbaRoutingRecognizer,
    DeTaxIdRecognizer,
    EsNieRecognizer,
    EsNifRecognizer,
    InAadhaarRecognizer,
    UkNinoRecognizer,
)

ENTITIES = ["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "ABA_ROUTING_NUMBER",
            "US_PASSPORT", "UK_NINO", "UK_NHS", "DE_TAX_ID", "ES_NIF", "ES_NIE", "IN_AADHAAR", "IP_ADDRESS",
            "MAC_ADDRESS"]


def build() -> AnalyzerEngine:
    nlp = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "no_op",
                                               "models": [{"lang_code": "en", "model_name": "no_op"}]}
                            ).create_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp)
    for cls in (AbaRoutingRecognizer, UkNinoRecognizer, InAadhaarRecognizer, EsNifRecognizer, EsNieRecognizer,
                DeTaxIdRecognizer):
        registry.add_recognizer(cls(supported_language="en"))
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


def main() -> None:
    src, dst = sys.argv[1], sys.argv[2]
    engine = build()
    rows = [json.loads(line) for line in open(src, encoding="utf-8")]
    engine.analyze(text="warm up 4111 1111 1111 1111 a@b.com", language="en", entities=ENTITIES)
    spent, chars = 0.0, 0
    with open(dst, "w", encoding="utf-8") as out:
        for row in rows:
            t0 = time.process_time()
            results = engine.analyze(text=row["text"], language="en", entities=ENTITIES)
            spent += time.process_time() - t0
            chars += len(row["text"])
            found = [{"type": x.entity_type, "start": x.start, "end": x.end, "score": x.score}
                     for x in results]
            out.write(json.dumps({"id": row["id"], "entities": found}) + "\n")
        out.write(json.dumps({"_timing": spent, "_chars": chars}) + "\n")


if __name__ == "__main__":
    main()
