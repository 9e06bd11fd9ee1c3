/* lesson_words.js: the lesson page's words (lesson.js and lesson_guests.js
 * import it). Each language is a file, /lang/LANG.json (lesson/lang/): tr()
 * gives a key's words with their {names} filled in, English for a word a
 * language lacks. The lesson writes its own sentences (the relay's and
 * netsim's states, the last incident, why a lane waits, how a program's
 * lane ended) in English, the words of its log; said() finds such a sentence
 * among English's "srv." keys, each the sentence with {names} where it
 * varies, and says it in the page's language, a sentence inside it and a
 * lane's name said too. A sentence no key matches is shown as the lesson
 * wrote it and noted (lessonPage.snapshot().untranslated). */

/* The languages the page speaks (lesson/lang/LANG.json), each by its own name. */
export const LANG_NAMES = { en: "English", id: "Bahasa Indonesia", ko: "한국어", vi: "Tiếng Việt" };
export const LANGS = Object.keys(LANG_NAMES);

export const i18n = { lang: "en", dict: {}, en: {}, missing: new Set(), untranslated: new Set(),
                      formats: new Map(), sentences: null };

/* The first of langs (the browser's, "ko-KR") the page speaks, or English. */
export function pickLang(langs) {
  for (const l of langs || []) {
    const primary = String(l).toLowerCase().split("-")[0];
    if (LANGS.includes(primary)) return primary;
  }
  return "en";
}

/* key's words in the page's language, each {name} replaced by vars.name;
 * a key the language lacks is noted (lessonPage.snapshot().missing) and
 * said in English. */
export function tr(key, vars) {
  let s = i18n.dict[key];
  if (typeof s !== "string") {
    i18n.missing.add(i18n.lang + ":" + key);
    s = typeof i18n.en[key] === "string" ? i18n.en[key] : key;
  }
  return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : vars[k])) : s;
}

/* The words of a key made of a name the server sends (a lane, a state, an
 * error code), or fallback, the server's own, for a name the files do not know. */
export function tName(key, fallback) {
  const s = i18n.dict[key] !== undefined ? i18n.dict[key] : i18n.en[key];
  return typeof s === "string" ? s : fallback;
}

export async function langFile(lang) {
  const r = await fetch("/lang/" + lang + ".json");
  if (!r.ok) throw new Error("HTTP " + r.status);
  return r.json();
}

/* What a {name} of the lesson's sentences can be: a time, a number, a
 * name; any other, any words (the shortest that fit). Typed, a sentence
 * inside another is not taken for its time ("... at 14:03:07; starting it
 * again" is "{incident}; starting it again"). */
const VALUE = { at: "[0-9:]+", signal: "\\d+", status: "\\d+", seq: "\\d+", sender: "\\d+",
                n: "\\d+", lane: "[\\w-]+", role: "\\w+", code: "\\w+" };

/* English's "srv." sentences as patterns: each {name} a group. */
function sentences() {
  if (i18n.sentences && i18n.sentences.length) return i18n.sentences; /* once English came */
  const quote = (s) => s.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
  i18n.sentences = Object.keys(i18n.en).filter((k) => k.startsWith("srv.")).map((key) => {
    const names = [], text = i18n.en[key];
    const body = text.split(/(\{\w+\})/).map((part) => {
      const m = /^\{(\w+)\}$/.exec(part);
      if (!m) return quote(part);
      names.push(m[1]);
      return "(" + (VALUE[m[1]] || "[\\s\\S]+?") + ")";
    }).join("");
    const fixed = text.replace(/\{\w+\}/g, "").length; /* its words that do not vary */
    return { key, names, re: new RegExp("^" + body + "$"), fixed };
  });
  return i18n.sentences;
}

/* A value inside a sentence: a lane's name as its title, the words of an
 * error code of the relay's (a client's disconnection quotes them) in the
 * page's, a sentence said. */
function saidValue(v, depth) {
  const lane = tName("lane." + v, null);
  if (lane !== null) return lane;
  const err = Object.keys(i18n.en).find((k) => k.startsWith("err.") && i18n.en[k] === v);
  return err ? tr(err) : said(v, depth + 1);
}

/* text, a sentence of the lesson's, in the page's language: the English
 * sentence of most fixed words it matches, its values said too. */
export function said(text, depth = 0) {
  if (!text || depth > 3) return text || "";
  let best = null, found = null;
  for (const s of sentences()) {
    const m = s.re.exec(text);
    if (m && (!best || s.fixed > best.fixed)) [best, found] = [s, m];
  }
  if (!best) {
    if (!depth) i18n.untranslated.add(text);
    return text;
  }
  const vars = {};
  best.names.forEach((n, i) => { vars[n] = saidValue(found[i + 1], depth); });
  return tr(best.key, vars);
}
