// Json.cs: the control messages' JSON (PROTOCOL.md, "Encoding"), read into
// dictionaries, lists, strings, doubles and booleans, and written field by
// field: no reflection (IL2CPP strips it), nothing per state (only control
// messages are JSON). Reads strict RFC 8259; null for anything else.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Ricochet
{
    public sealed class Json
    {
        readonly string s;
        int at;

        Json(string text) { s = text; }

        /// <summary>The object in text; null if text is not one JSON object.</summary>
        public static Dictionary<string, object> Parse(string text)
        {
            var j = new Json(text);
            try {
                j.Space();
                var o = j.Value() as Dictionary<string, object>;
                j.Space();
                return j.at == text.Length ? o : null;
            } catch (FormatException) {
                return null;
            } catch (IndexOutOfRangeException) {
                return null;
            }
        }

        void Space()
        {
            while (at < s.Length && (s[at] == ' ' || s[at] == '\t' || s[at] == '\n' || s[at] == '\r'))
                at++;
        }

        void Expect(char c)
        {
            if (s[at++] != c)
                throw new FormatException();
        }

        object Value()
        {
            char c = s[at];
            if (c == '{') {
                at++;
                var o = new Dictionary<string, object>();
                Space();
                if (s[at] == '}') { at++; return o; }
                for (;;) {
                    Space();
                    string k = Str();
                    Space();
                    Expect(':');
                    Space();
                    object v = Value();
                    if (!o.ContainsKey(k))
                        o[k] = v; // of a key given twice, the first counts
                    Space();
                    if (s[at] == ',') { at++; continue; }
                    Expect('}');
                    return o;
                }
            }
            if (c == '[') {
                at++;
                var l = new List<object>();
                Space();
                if (s[at] == ']') { at++; return l; }
                for (;;) {
                    Space();
                    l.Add(Value());
                    Space();
                    if (s[at] == ',') { at++; continue; }
                    Expect(']');
                    return l;
                }
            }
            if (c == '"')
                return Str();
            if (Word("true")) return true;
            if (Word("false")) return false;
            if (Word("null")) return null;
            int from = at;
            if (s[at] == '-') at++;
            while (at < s.Length && (char.IsDigit(s[at]) || s[at] == '.' || s[at] == 'e' || s[at] == 'E' ||
                                     s[at] == '+' || s[at] == '-'))
                at++;
            double d;
            if (at == from || !double.TryParse(s.Substring(from, at - from), NumberStyles.Float,
                                               CultureInfo.InvariantCulture, out d))
                throw new FormatException();
            return d;
        }

        bool Word(string w)
        {
            if (string.CompareOrdinal(s, at, w, 0, w.Length) != 0)
                return false;
            at += w.Length;
            return true;
        }

        string Str()
        {
            Expect('"');
            var b = new StringBuilder();
            for (;;) {
                char c = s[at++];
                if (c == '"')
                    return b.ToString();
                if (c < 0x20)
                    throw new FormatException();
                if (c != '\\') {
                    b.Append(c);
                    continue;
                }
                c = s[at++];
                switch (c) {
                case '"': case '\\': case '/': b.Append(c); break;
                case 'b': b.Append('\b'); break;
                case 'f': b.Append('\f'); break;
                case 'n': b.Append('\n'); break;
                case 'r': b.Append('\r'); break;
                case 't': b.Append('\t'); break;
                case 'u':
                    b.Append((char)int.Parse(s.Substring(at, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    at += 4;
                    break;
                default: throw new FormatException();
                }
            }
        }

        // ---- reading fields ----

        public static string Text(Dictionary<string, object> o, string k, string otherwise = "")
        {
            object v;
            return o != null && o.TryGetValue(k, out v) && v is string ? (string)v : otherwise;
        }

        public static double Number(Dictionary<string, object> o, string k, double otherwise = 0)
        {
            object v;
            return o != null && o.TryGetValue(k, out v) && v is double ? (double)v : otherwise;
        }

        public static bool Flag(Dictionary<string, object> o, string k, bool otherwise = false)
        {
            object v;
            return o != null && o.TryGetValue(k, out v) && v is bool ? (bool)v : otherwise;
        }

        public static Dictionary<string, object> Obj(Dictionary<string, object> o, string k)
        {
            object v;
            return o != null && o.TryGetValue(k, out v) ? v as Dictionary<string, object> : null;
        }

        public static List<object> List(Dictionary<string, object> o, string k)
        {
            object v;
            return o != null && o.TryGetValue(k, out v) ? v as List<object> : null;
        }

        // ---- writing ----

        /// <summary>s as a JSON string, quoted.</summary>
        public static void Quote(StringBuilder b, string s)
        {
            b.Append('"');
            foreach (char c in s) {
                if (c == '"' || c == '\\')
                    b.Append('\\').Append(c);
                else if (c < 0x20)
                    b.Append("\\u").Append(((int)c).ToString("x4"));
                else
                    b.Append(c);
            }
            b.Append('"');
        }

        /// <summary>,"k":"v" (or {"k":"v" as the first field of a message).</summary>
        public static StringBuilder Field(StringBuilder b, string k, string v)
        {
            b.Append(b.Length == 0 ? '{' : ',');
            Quote(b, k);
            b.Append(':');
            Quote(b, v);
            return b;
        }

        public static StringBuilder Field(StringBuilder b, string k, double v)
        {
            b.Append(b.Length == 0 ? '{' : ',');
            Quote(b, k);
            b.Append(':').Append(v.ToString("R", CultureInfo.InvariantCulture));
            return b;
        }

        public static StringBuilder Field(StringBuilder b, string k, bool v)
        {
            b.Append(b.Length == 0 ? '{' : ',');
            Quote(b, k);
            return b.Append(':').Append(v ? "true" : "false");
        }

        public static StringBuilder Field(StringBuilder b, string k, Dictionary<string, string> d)
        {
            b.Append(b.Length == 0 ? '{' : ',');
            Quote(b, k);
            b.Append(":{");
            bool first = true;
            foreach (var kv in d) {
                if (!first)
                    b.Append(',');
                first = false;
                Quote(b, kv.Key);
                b.Append(':');
                Quote(b, kv.Value ?? "");
            }
            return b.Append('}');
        }
    }
}
