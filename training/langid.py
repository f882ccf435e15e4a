"""A small script-and-stopword language guess for per-language evaluation."""

from __future__ import annotations

import re

# Function words that are frequent in one language and rare in the others (words
# shared with English, such as "a", "as", "me", "no", "on", are left out of the other
# lists: English text must not read as Portuguese because it says "as a").
_STOP = {
    "en": {"the", "and", "you", "to", "of", "is", "your", "all", "what", "how", "with", "for", "this", "are",
           "a", "an", "in", "on", "it", "me", "my", "i", "be", "can", "that", "do", "does", "not", "if",
           "from", "about", "as", "or", "any", "would", "should", "please", "now", "tell", "show", "why",
           "was", "will", "have", "has", "by", "at", "we", "our", "us", "they", "them", "their", "without"},
    "de": {"und", "die", "der", "das", "ist", "nicht", "du", "ich", "mit", "alle", "deine", "sie", "ein",
           "zu", "eine", "den", "dem", "des", "auf", "für", "von", "sich", "auch", "wie", "bitte", "dein",
           "mir", "mich", "uns", "über", "oder", "wenn", "kannst", "jetzt", "bist", "keine", "dir",
           "alles", "wurde", "wird", "habe", "hast", "nur", "ohne"},
    "fr": {"et", "les", "le", "la", "des", "est", "tu", "vous", "une", "pour", "ton", "toutes", "que", "du",
           "un", "ne", "pas", "avec", "sur", "dans", "qui", "tes", "ta", "moi", "votre", "vos", "mes",
           "au", "aux", "ce", "cette", "sont", "tous", "maintenant", "ou"},
    "es": {"y", "los", "las", "el", "es", "una", "para", "todas", "por", "con", "del", "tus", "mi",
           "sus", "su", "pero", "como", "más", "ahora", "eres", "puedes", "lo", "al", "muy", "sin", "qué",
           "cómo", "usted", "este", "esta", "todos", "un"},
    "pt": {"os", "você", "uma", "todas", "do", "da", "não", "seu", "sua", "dos", "das", "em", "um", "com",
           "isso", "como", "mais", "agora", "é", "são", "seus", "suas", "pelo", "pela", "nas", "nos", "ao",
           "também", "eu", "meu", "minha", "todos", "sem", "já"},
    "it": {"gli", "il", "è", "per", "che", "tutte", "di", "del", "non", "sei", "della", "delle", "dei",
           "una", "un", "con", "mi", "tuo", "tua", "tuoi", "sono", "anche", "come", "ora", "adesso",
           "questo", "questa", "nel", "nella", "puoi", "tutti", "senza", "ogni"},
}
# letters that only one of the Latin-script languages here uses
_LETTERS = {"pt": "ãõ", "es": "ñ¿¡", "de": "ßäö", "fr": "œæëîû"}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def guess(text: str) -> str:
    sample = text[:2000]
    kana = sum(1 for c in sample if "\u3040" <= c <= "\u30ff")
    han = sum(1 for c in sample if "\u4e00" <= c <= "\u9fff")
    cyr = sum(1 for c in sample if "\u0400" <= c <= "\u04ff")
    latin = sum(1 for c in sample if c.isascii() and c.isalpha())
    if kana >= 2:
        return "ja"
    if han >= 4 and han > latin / 4:
        return "zh"
    if cyr > latin:
        return "ru"
    words = [w.lower() for w in _WORD.findall(sample)]
    if not words:
        return "other"
    scores = {lang: sum(1 for w in words if w in stop) for lang, stop in _STOP.items()}
    low = sample.lower()
    for lang, letters in _LETTERS.items():
        if any(c in low for c in letters):
            scores[lang] += 1
    # on a tie the other language wins: English words ("as", "a", "me") turn up in
    # Romance text by chance, the other lists' words hardly ever in English
    best = max(scores, key=lambda lang: (scores[lang], lang != "en"))
    return best if scores[best] > 0 else "other"
