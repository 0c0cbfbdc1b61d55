"""Which stemmer should the Arabic search index use? A small, reproducible evaluation.

Run from the project folder:

    .venv/bin/python benchmarks/stemmer_eval.py

It compares, with the same boolean matching (a document matches a query when
every query term's stem is among the document's stems):

- ``none``            normalize only (newscrawl.search.arabic.tokens), no stemming;
- ``light10``         the project's light_stem (newscrawl.search.arabic.index_terms);
- ``snowball``        Snowball Arabic (PyStemmer) applied after normalize;
- ``snowball_raw``    Snowball Arabic on the raw word, then normalize on its output
                      (Snowball expects ة, ى and hamza forms, which normalize folds).

PyStemmer is not a project dependency. Install it outside the project venv:

    .venv/bin/python -m pip install --target /tmp/pystemmer PyStemmer

The script looks for it in $PYSTEMMER_PATH (default /tmp/pystemmer), then on
sys.path; without it the two Snowball systems are skipped, with a message, the
JSON is left as it is and the exit status is 1.

The collection is written below, by hand: 90 one-sentence news "documents" in
Modern Standard Arabic and 47 queries. Relevance was judged as a news reader
would, not by looking at any stemmer's output: a document is relevant to a query
when it mentions the queried word, in the sense intended, in any inflected or
derived form a reader would accept (clitics, possessives, sound and broken
plurals, dual, feminine, nisba adjectives: العراقية for العراق). Homographs with
another meaning are not relevant (اللبن milk for لبنان, الزير a water jar for
وزير, مكتب office for مكتبة library, على "on" for the name علي). The bare query
كتب is taken in both its senses (wrote; books). Proper names that do not contain
the word are not relevant (بغداد for العراق, الولايات المتحدة for امريكا).

Writes benchmarks/stemmer_eval.json next to this file.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from newscrawl.search.arabic import light_stem, normalize, query_stems, strip_proclitics, tokens  # noqa: E402

PYSTEMMER_PATH = os.environ.get("PYSTEMMER_PATH", "/tmp/pystemmer")
try:
    if os.path.isdir(PYSTEMMER_PATH):
        sys.path.insert(0, PYSTEMMER_PATH)
    import Stemmer  # PyStemmer
except ImportError:
    Stemmer = None

# --- the collection ---------------------------------------------------------

DOCS: dict[int, str] = {
    1: "قال وزير الخارجية إن المفاوضات ستُستأنف الأسبوع المقبل في جنيف.",
    2: "التقى الوزيرُ بوفد من رجال الأعمال في القاهرة لبحث الاستثمار.",
    3: "أعلنت وزيرة الصحة عن حملة تطعيم جديدة في المدارس الحكومية.",
    4: "استقبل رئيس الحكومة والوزير المكلف بالملف وفداً أوروبياً.",
    5: "اجتمع مجلس الوزراء لمناقشة الموازنة العامة لعام ٢٠٢٤.",
    6: "وجّه النائب سؤالاً للوزير حول ارتفاع الأسعار.",
    7: "باع الحرفي الزير الفخاري خارج السوق القديم، ويستخدم الزير لتبريد الماء في الصيف.",
    8: "قالت وزارة الداخلية إن الطرق ستُغلق يوم الجمعة.",
    9: "زار وفد أممي العراق لبحث ملف النازحين.",
    10: "وصلت شحنات القمح إلى سوريا والعراق الأسبوع الماضي.",
    11: "أرسلت المنظمة مساعدات طبية للعـراق وسوريا.",
    12: "قال مسؤول عراقي إن الحكومة العراقية ستعيد فتح المعبر الحدودي.",
    13: "ويعاني العراقيون من انقطاع الكهرباء في الصيف.",
    14: "أعلنت الحكومة اللبنانية خطة لإصلاح قطاع الكهرباء.",
    15: "شهدت بيروت احتجاجات واسعة، وقال متظاهرون إن لبنان يمر بأسوأ أزمة اقتصادية.",
    16: "وصل وزير الخارجية الفرنسي إلى لبنان في زيارة رسمية تستمر يومين.",
    17: "ارتفع سعر اللبن والجبن في الأسواق المحلية بنسبة ١٠٪.",
    18: "قال الرئيس الإيراني إن بلاده لن تتخلى عن برنامجها النووي.",
    19: "فرضت واشنطن عقوبات جديدة على إيران.",
    20: "التقى مسؤولون إيرانيون نظراءهم في مسقط.",
    21: "نُقل المصابون إلى مستشفى الجامعة في حالة حرجة.",
    22: "تعاني المستشفيات الحكومية من نقص في الأدوية.",
    23: "افتتح المحافظ المستشفي الجديد بسعة ٢٠٠ سرير.",
    24: "قال مديرُ مستشفيات المحافظة إن الوضع تحت السيطرة.",
    25: "أغلقت المدرسة أبوابها بسبب الأمطار الغزيرة.",
    26: "طالب المعلمون بزيادة رواتبهم وتحسين ظروف العمل في المدارس.",
    27: "كرّمت الوزارة المعلمين المتميزين في حفل بالعاصمة.",
    28: "قالت معلمة في المدرسه الابتدائية إن الطلاب عادوا إلى الفصول.",
    29: "افتُتحت مدرسةٌ جديدة للبنات في القرية.",
    30: "كَتَبَ الروائي مقالاً عن ذكريات طفولته في الإسكندرية.",
    31: "كتب الصحفي أن المفاوضات وصلت إلى طريق مسدود.",
    32: "صدر كتاب جديد عن تاريخ الصحافة العربية.",
    33: "وقّع المؤلف كتابه الأخير في معرض الكتاب الدولي.",
    34: "يعرض معرض القاهرة آلاف الكتب هذا العام.",
    35: "افتتحت المكتبة الوطنية قاعة جديدة للمخطوطات.",
    36: "تضم مكتبات الجامعة أكثر من مليون مجلد.",
    37: "داهمت الشرطة مكتب الشركة في وسط المدينة.",
    38: "قال المتحدث إن الوزير غادر مكتبه قبل الحادث بساعة.",
    39: "أغلقت السلطات مكاتب القناة الفضائية.",
    40: "أعلنت اللجنة نتائج الانتخابات البرلمانية.",
    41: "تجري انتخابات الرئاسة في ۲۰۲۴ وسط توقعات بإقبال ضعيف.",
    42: "انتقد المراقبون العملية الانتخابية وقالوا إن النتائج لا تعكس إرادة الناخبين.",
    43: "صوّت مجلس النواب على قانون الموازنة.",
    44: "قال نائب في البرلمان إن الحكومة فشلت في ضبط الأسعار.",
    45: "انتُخب رئيس جديد لمجلس النواب بأغلبية الأصوات.",
    46: "دعت الأمم المتحدة إلى وقف فوري لإطلاق النار.",
    47: "قال الأمين العام للأمم المتحدة إن الوضع الإنساني كارثي.",
    48: "طالبت منظمات حقوقية الامم المتحده بالتحقيق في الانتهاكات.",
    49: "تتنافس الأمم الأفريقية على تنظيم البطولة القارية.",
    50: "التقى الوزير إبراهيم الجعفري بالسفير الأمريكي في بغداد.",
    51: "قال ابراهيم محمد، وهو تاجر في السوق، إن الأسعار تضاعفت.",
    52: "فاز اللاعب علي معلول بجائزة أفضل لاعب في الدوري.",
    53: "أكد علي حسن أن الفريق جاهز للمباراة.",
    54: "حصل الطلاب على منح دراسية في الخارج.",
    55: "أعلن مصطفى كامل عن مبادرة لدعم الشباب.",
    56: "وقال الدكتور مصطفي عبد الله إن العلاج متوفر.",
    57: "قالت الولايات المتحدة إنها ستدعم الاتفاق.",
    58: "زار الرئيس الأمريكي المنطقة الأسبوع الماضي.",
    59: "ارتفعت صادرات أمريكا من الغاز المسال.",
    60: "أعلن والي الولاية حالة الطوارئ بعد الفيضانات.",
    61: "قال الوزير إنه لا يتوقع زيادة في الضرائب هذا العام.",
    62: "شهدت المدينة القديمة إقبالاً كبيراً من السياح.",
    63: "تعد مدينة الإسكندرية من أكبر مدن البحر المتوسط.",
    64: "بدأ العمل في مد خط أنابيب الغاز إلى الأردن.",
    65: "نظمت المدن الساحلية مهرجانات صيفية.",
    66: "بلغ عدد سكان مصر أكثر من ١٠٥ ملايين نسمة.",
    67: "اشتكى السكان من انقطاع المياه، وقالوا إن البلدية لا تستجيب.",
    68: "هاجم رجل المارة بسكين في محطة القطار.",
    69: "ارتفعت أسعار النفط بعد قرار أوبك خفض الإنتاج.",
    70: "تراجع سعر برميل النفط إلى ٧٠ دولاراً.",
    71: "قال خبراء إن أسعار القمح والنفط ستبقى مرتفعة.",
    72: "اكتشفت الشركة حقلاً نفطياً جديداً في الصحراء.",
    73: "تأهل المنتخب إلى نهائيات كأس العالم.",
    74: "تعادل الفريقان في المباراة الافتتاحية للبطولة.",
    75: "قال مدرب الفريق إن اللاعبين جاهزون للمباراة.",
    76: "أقيمت مباريات كأس العالم للشباب في ملاعب مكتظة.",
    77: "ارتفعت مبيعات السيارات الكهربائية بنسبة ٣٠٪.",
    78: "اصطدمت سيارة بحافلة على الطريق الصحراوي.",
    79: "تشهد شوارع القاهرة ازدحاماً بالسيارات يومياً.",
    80: "أدان البيان الاعتداءات على الفلسطينيين في الضفة الغربية.",
    81: "قال الرئيس الفلسطيني إن فلسطين ستطلب العضوية الكاملة.",
    82: "تظاهر الآلاف دعماً لفلسطين في عواصم أوروبية.",
    83: "أعلنت الحكـــومة حالة الطوارئ بسبب العاصفة.",
    84: "قالت الحكومة إن الأمطار ستستمر حتى الخميس.",
    85: "أصدرت وزارة الخارجية بياناً تدين فيه الهجوم.",
    86: "قال البيان الختامي إن القمة نجحت في تقريب المواقف.",
    87: "أعلنت العائلة وفاة الفنان عن عمر ٨٠ عاماً.",
    88: "قال مسؤول فلسطيني: لا عودة إلى المفاوضات دون ضمانات.",
    89: "تسلّم الطلاب كتبهم الجديدة مع بداية العام الدراسي.",
    90: "وقالت المعلمات إن المدارس تحتاج إلى مزيد من الكتب.",
}

MINISTER = {1, 2, 3, 4, 5, 6, 16, 38, 50, 61}
HOSPITAL = {21, 22, 23, 24}
TEACHER = {26, 27, 28, 90}

# (query, relevant document ids, what it probes)
QUERIES: list[tuple[str, set[int], str]] = [
    ("وزير", MINISTER, "over-stemming: light10 takes the root's و for the conjunction (زير, a jar)"),
    ("الوزير", MINISTER, "same need with the article"),
    ("وزير الخارجية", {1, 16}, "two terms; وزارة (ministry) is not relevant"),
    ("العراق", {9, 10, 11, 12, 13}, "spec: العراق finds والعراق; nisba عراقي"),
    ("لبنان", {14, 15, 16}, "over-stemming: لبنان -> لبن (milk)"),
    ("اللبن", {17}, "the other side of لبنان/لبن"),
    ("ايران", {18, 19, 20}, "hamza; nisba الإيراني, plural إيرانيون"),
    ("المستشفيات", HOSPITAL, "under-stemming without a stemmer"),
    ("مستشفي", HOSPITAL, "spec: ى/ي"),
    ("المدرسه", {3, 25, 26, 28, 29, 90}, "spec: ة/ه; broken plural المدارس"),
    ("معلم", TEACHER, "plural, feminine"),
    ("المعلمين", TEACHER, "same need from the plural"),
    ("كتب", {30, 31, 34, 89, 90}, "spec: كتب finds كَتَبَ; also books"),
    ("كتاب", {32, 33, 34, 89, 90}, "book; broken plural كتب"),
    ("مكتبة", {35, 36}, "library; not مكتب office"),
    ("مكتب", {37, 38, 39}, "office; مكتبه (his office) folds to the same letters as مكتبة"),
    ("الانتخابات", {40, 41, 42}, "plural and nisba"),
    ("مجلس النواب", {43, 45}, "phrase-like, two terms"),
    ("الامم المتحدة", {46, 47, 48}, "hamza, ة/ه, للأمم"),
    ("ابراهيم", {50, 51}, "spec: hamza"),
    ("علي", {52, 53}, "name; على (on) folds to the same letters"),
    ("مصطفى", {55, 56}, "ى/ي in a name"),
    ("امريكا", {50, 58, 59}, "hamza; nisba الأمريكي"),
    ("الولايات المتحدة", {57}, "two terms"),
    ("ولاية", {60}, "over-stemming: light10 turns it into لا"),
    ("المدينة", {37, 62, 63, 65}, "over-stemming into مد; broken plural مدن"),
    ("سكان", {66, 67}, "over-stemming: سكان/سكين"),
    ("أسعار النفط", {69, 70, 71}, "broken plural أسعار vs سعر"),
    ("النفط", {69, 70, 71, 72}, "nisba with tanween نفطياً"),
    ("سعر", {6, 17, 44, 51, 69, 70, 71}, "singular query, mostly plural text"),
    ("كأس العالم", {73, 76}, "two terms"),
    ("الفريق", {53, 74, 75}, "dual الفريقان"),
    ("اللاعبين", {52, 75}, "plural query, singular text"),
    ("سيارة", {77, 78, 79}, "feminine singular vs plural بالسيارات"),
    ("فلسطين", {80, 81, 82, 88}, "the name ends in ين; nisba; لفلسطين"),
    ("الحكومة", {3, 4, 12, 14, 22, 44, 83, 84}, "tatweel; nisba الحكومية"),
    ("بيان", {80, 85, 86}, "ان at the end of the stem; tanween بياناً"),
    ("وفاة", {87}, "initial و of the root"),
    ("2024", {5, 41}, "Arabic-Indic and Persian digits"),
    ("الإسكندرية", {30, 63}, "hamza, ية"),
    ("القاهرة", {2, 34, 79}, "ة"),
    ("الكهرباء", {13, 14, 77}, "hamza at the end; nisba الكهربائية"),
    ("الرئيس", {4, 18, 45, 58, 81}, "hamza on yeh; not الرئاسة"),
    ("الطوارئ", {60, 83}, "final hamza on yeh"),
    ("الطلاب", {28, 54, 89}, "broken plural; not the verb طالب"),
    ("مفاوضات", {1, 31, 88}, "plural with and without the article"),
    ("كَتَبَ", {30, 31, 34, 89, 90}, "harakat in the query"),
]

# --- the systems ------------------------------------------------------------

_RAW_WORD = re.compile(r"(?:[^\W_]|[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640])+")


def _raw_words(text: str) -> list[str]:
    """Words of the unnormalized text; harakat and tatweel stay inside them."""
    return _RAW_WORD.findall(text)


def system_none(text: str) -> list[tuple[str, str]]:
    return [(t, t) for t in tokens(text)]


def system_light10(text: str) -> list[tuple[str, str]]:
    return [(t, light_stem(t)) for t in tokens(text)]


def system_light10_waw(text: str) -> list[tuple[str, str]]:
    """light10, and on the query side a leading و also keeps its stem (query_stems)."""
    return system_light10(text)


system_light10_waw.query_alternatives = lambda query: [query_stems(t) for t in tokens(query)]


def make_snowball_systems():
    stemmer = Stemmer.Stemmer("arabic")

    def system_snowball(text: str) -> list[tuple[str, str]]:
        return [(t, stemmer.stemWord(t)) for t in tokens(text)]

    def system_snowball_raw(text: str) -> list[tuple[str, str]]:
        out = []
        for word in _raw_words(text):
            stem = " ".join(tokens(stemmer.stemWord(word)))
            if stem:
                out.append((normalize(word), stem))
        return out

    return system_snowball, system_snowball_raw


# --- evaluation -------------------------------------------------------------


def evaluate(system) -> dict:
    doc_stems = {d: {s for _, s in system(text)} for d, text in DOCS.items()}
    per_query = []
    tp_sum = ret_sum = rel_sum = 0
    for query, relevant, _ in QUERIES:
        qstems = [s for _, s in system(query)]
        alternatives = getattr(system, "query_alternatives", lambda q, qstems=qstems: [[s] for s in qstems])(query)
        retrieved = {
            d for d, stems in doc_stems.items()
            if alternatives and all(any(a in stems for a in alts) for alts in alternatives)
        }
        tp = len(retrieved & relevant)
        p = tp / len(retrieved) if retrieved else 0.0
        r = tp / len(relevant)
        f = 2 * p * r / (p + r) if p + r else 0.0
        per_query.append(
            {
                "query": query,
                "query_stems": qstems,
                "retrieved": sorted(retrieved),
                "false_positives": sorted(retrieved - relevant),
                "false_negatives": sorted(relevant - retrieved),
                "precision": round(p, 4),
                "recall": round(r, 4),
                "f1": round(f, 4),
            }
        )
        tp_sum += tp
        ret_sum += len(retrieved)
        rel_sum += len(relevant)
    micro_p = tp_sum / ret_sum if ret_sum else 0.0
    micro_r = tp_sum / rel_sum
    n = len(QUERIES)
    return {
        "micro": {
            "precision": round(micro_p, 4),
            "recall": round(micro_r, 4),
            "f1": round(2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0, 4),
        },
        "macro": {
            "precision": round(sum(q["precision"] for q in per_query) / n, 4),
            "recall": round(sum(q["recall"] for q in per_query) / n, 4),
            "f1": round(sum(q["f1"] for q in per_query) / n, 4),
        },
        "counts": {"true_positives": tp_sum, "retrieved": ret_sum, "relevant": rel_sum},
        "queries_with_no_result": sum(1 for q in per_query if not q["retrieved"]),
        "per_query": per_query,
    }


def _why(system, query: str, doc_id: int, matched: bool) -> list[str]:
    """The document's words behind a false positive (those whose stem is a query stem)
    or a false negative (words that look like the query's words), with this system's stems."""
    qstems = {s for _, s in system(query)}
    if matched:
        return sorted({f"{w}->{s}" for w, s in system(DOCS[doc_id]) if s in qstems})

    def bare(word: str) -> str:
        return strip_proclitics(word)

    qwords = [bare(t) for t in tokens(query)]
    shown = []
    for word, stem in system(DOCS[doc_id]):
        if len(word) >= 3 and any(
            difflib.SequenceMatcher(None, q, bare(word)).ratio() >= 0.7 or q[:3] == bare(word)[:3] for q in qwords
        ):
            shown.append(f"{word}->{stem}")
    return shown


def disagreements(systems: dict, results: dict) -> list[dict]:
    out = []
    for i, (query, relevant, note) in enumerate(QUERIES):
        rows = {name: results[name]["per_query"][i] for name in systems}
        if len({tuple(r["retrieved"]) for r in rows.values()}) == 1:
            continue
        entry = {"query": query, "relevant": sorted(relevant), "note": note, "systems": {}}
        for name, row in rows.items():
            entry["systems"][name] = {
                "query_stems": row["query_stems"],
                "f1": row["f1"],
                "false_positives": {d: _why(systems[name], query, d, True) for d in row["false_positives"]},
                "false_negatives": {d: _why(systems[name], query, d, False) for d in row["false_negatives"]},
            }
        out.append(entry)
    return out


def paired(results: dict, a: str, b: str) -> dict:
    fa = [q["f1"] for q in results[a]["per_query"]]
    fb = [q["f1"] for q in results[b]["per_query"]]
    return {
        f"{a}_better": sum(x > y for x, y in zip(fa, fb, strict=True)),
        f"{b}_better": sum(y > x for x, y in zip(fa, fb, strict=True)),
        "ties": sum(x == y for x, y in zip(fa, fb, strict=True)),
    }


def main() -> int:
    systems = {"none": system_none, "light10": system_light10, "light10_waw": system_light10_waw}
    pystemmer_version = None
    if Stemmer is None:
        print(
            f"PyStemmer not found (looked in $PYSTEMMER_PATH={PYSTEMMER_PATH} and sys.path); "
            "Snowball systems skipped.\n"
            "Install it outside the project venv:  .venv/bin/python -m pip install --target /tmp/pystemmer PyStemmer",
            file=sys.stderr,
        )
    else:
        from importlib.metadata import PathDistribution, version

        try:
            pystemmer_version = version("PyStemmer")
        except Exception:
            dists = list(Path(PYSTEMMER_PATH).glob("[Pp]y[Ss]temmer-*.dist-info"))
            pystemmer_version = PathDistribution(dists[0]).version if dists else "unknown"
        systems["snowball"], systems["snowball_raw"] = make_snowball_systems()

    results = {name: evaluate(fn) for name, fn in systems.items()}
    disagree = disagreements(systems, results)

    print(f"{len(DOCS)} documents, {len(QUERIES)} queries, "
          f"{sum(len(r) for _, r, _ in QUERIES)} relevance judgements; PyStemmer {pystemmer_version or 'absent'}")
    print()
    head = (f"{'system':<13} {'micro P':>8} {'micro R':>8} {'micro F1':>8} "
            f"{'macro P':>8} {'macro R':>8} {'macro F1':>8} {'no hit':>6}")
    print(head)
    print("-" * len(head))
    for name, res in results.items():
        mi, ma = res["micro"], res["macro"]
        print(f"{name:<13} {mi['precision']:>8.3f} {mi['recall']:>8.3f} {mi['f1']:>8.3f} "
              f"{ma['precision']:>8.3f} {ma['recall']:>8.3f} {ma['f1']:>8.3f} {res['queries_with_no_result']:>6}")
    print("(macro P counts a query that retrieves nothing as precision 0)")
    pairs = {}
    if "snowball" in results:
        for other in ("snowball", "snowball_raw"):
            pairs[f"light10_vs_{other}"] = paired(results, "light10", other)
            print(f"per-query F1, light10 vs {other}: {pairs[f'light10_vs_{other}']}")
    pairs["light10_vs_none"] = paired(results, "light10", "none")
    pairs["light10_waw_vs_light10"] = paired(results, "light10_waw", "light10")
    print(f"per-query F1, light10_waw vs light10: {pairs['light10_waw_vs_light10']}")
    print(f"per-query F1, light10 vs none: {pairs['light10_vs_none']}")

    print(f"\nQueries where the systems disagree ({len(disagree)} of {len(QUERIES)}):")
    for entry in disagree:
        print(f"\n  {entry['query']}   relevant {entry['relevant']}   ({entry['note']})")
        for name, row in entry["systems"].items():
            fp = "; ".join(f"{d}: {' '.join(w) or '(other form)'}" for d, w in row["false_positives"].items()) or "-"
            fn = "; ".join(f"{d}: {' '.join(w) or '(other form)'}" for d, w in row["false_negatives"].items()) or "-"
            print(f"    {name:<13} stems {' '.join(row['query_stems']):<16} F1 {row['f1']:.2f}  FP {fp}  |  FN {fn}")

    out = {
        "collection": {"documents": len(DOCS), "queries": len(QUERIES),
                       "relevance_judgements": sum(len(r) for _, r, _ in QUERIES)},
        "matching": "boolean AND: a document matches when every query stem is among its stems",
        "macro_precision_convention": "a query that retrieves nothing has precision 0",
        "pystemmer_version": pystemmer_version,
        "python": sys.version.split()[0],
        "systems": {
            "none": "newscrawl.search.arabic.tokens (normalize, no stemming)",
            "light10": "newscrawl.search.arabic.light_stem after tokens",
            "light10_waw": "light10; a query word starting with و also matches the stem keeping it (query_stems)",
            "snowball": "Stemmer.Stemmer('arabic').stemWord after tokens (normalize first)",
            "snowball_raw": "Stemmer.Stemmer('arabic').stemWord on the raw word, then tokens/normalize on the stem",
        },
        "results": {name: {k: v for k, v in res.items() if k != "per_query"} for name, res in results.items()},
        "paired_per_query_f1": pairs,
        "disagreements": disagree,
        "per_query": {name: res["per_query"] for name, res in results.items()},
    }
    path = HERE / "stemmer_eval.json"
    if Stemmer is None:
        print(f"\n{path.relative_to(HERE.parent)} not written: it records every system", file=sys.stderr)
        return 1
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"\nwrote {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
