/* OTLP trace envelopes -> rows of the otlp_spans_rows table (warehouse/schema/0024), as a Native block.
 *
 * Why C: ClickHouse's Protobuf input parses every attribute's AnyValue into a Nullable tuple of seven
 * columns and the stage view then explodes resource -> scope -> span and renders each value as text;
 * together ~6 us a span, a third of a span's cost on one core. A single pass here does the same walk
 * and rendering at a fraction of that, and ClickHouse reads the flat columns at memcpy speed.
 *
 * Input: length-delimited envelopes (ingest/envelope.py): an ExportTraceServiceRequest followed by
 * fields 1001-1008 (project, time received, accounting counts, redaction). Output, per envelope: one
 * accounting row (is_span = 0) and one row per span (is_span = 1), columns in the table's order.
 *
 * Values are rendered exactly as the Protobuf path renders them (inferops_any_str, schema 0001): ints
 * in decimal, doubles as ClickHouse prints a Float64 (shortest round trip; plain notation for decimal
 * exponents -6..20, otherwise d.ddde-7), bools true/false, bytes in base64, arrays and kvlists of
 * scalars as JSON with ClickHouse's escaping; a value nested deeper renders as ''. A value sent in
 * pieces (several members, or a KeyValue's value in several messages) is merged as protobuf merges it:
 * the last member set wins. (ClickHouse's parse kept the first of string, int, double, bool, bytes.)
 * tests/ingest/test_span_rows.py checks this against ClickHouse itself.
 *
 * A known field with another wire type is skipped as unknown, as upb does. Malformed input (cut short,
 * a bad varint, unknown groups nested deeper than 64) raises ValueError, and the batch is stored
 * through the Protobuf path instead.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- output buffer ------------------------------------------------------------------------------ */

typedef struct {
    uint8_t *buf;
    size_t len, cap;
    int oom;
} Out;

static int reserve(Out *o, size_t need) {
    if (o->len + need <= o->cap) return 0;
    size_t cap = o->cap ? o->cap : 4096;
    while (cap < o->len + need) cap *= 2;
    uint8_t *b = realloc(o->buf, cap);
    if (!b) {
        o->oom = 1;
        return -1;
    }
    o->buf = b;
    o->cap = cap;
    return 0;
}

static inline void put(Out *o, const void *p, size_t n) {
    if (n == 0 || reserve(o, n)) return;
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static inline void put_byte(Out *o, uint8_t v) {
    if (reserve(o, 1)) return;
    o->buf[o->len++] = v;
}

static inline void put_le(Out *o, uint64_t v, int bytes) { /* Native integers are little-endian */
    if (reserve(o, bytes)) return;
    for (int i = 0; i < bytes; i++) o->buf[o->len++] = (uint8_t)(v >> (8 * i));
}

static inline void put_uvarint(Out *o, uint64_t v) { /* string lengths: LEB128 */
    if (reserve(o, 10)) return;
    while (v >= 0x80) {
        o->buf[o->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    o->buf[o->len++] = (uint8_t)v;
}

static inline void put_str(Out *o, const uint8_t *p, size_t n) {
    put_uvarint(o, n);
    put(o, p, n);
}

static inline void put_cstr(Out *o, const char *s) { put(o, s, strlen(s)); }

/* ---- protobuf reading ----------------------------------------------------------------------------- */

typedef struct {
    const uint8_t *p, *end;
} Msg;

typedef struct {
    uint32_t number;
    int wire;
    uint64_t num;       /* varint, fixed64 and fixed32 values */
    const uint8_t *data; /* length-delimited values */
    size_t len;
} Field;

static int read_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out) {
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && p < end; shift += 7) {
        uint8_t b = *p++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* Tags and lengths: at most five bytes, as upb reads them (it refuses longer encodings as corrupt), and
 * lengths below 2^31. */
static int read_short_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out) {
    const uint8_t *start = *pp;
    if (read_varint(pp, end, out)) return -1;
    return *pp - start > 5 || *out > 0x7FFFFFFF ? -1 : 0;
}

static int skip_group(Msg *m, uint32_t number, int depth);

/* 1: a field was read; 0: end of message; -1: malformed. */
static int next_field_any(Msg *m, Field *f) {
    if (m->p >= m->end) return 0;
    uint64_t tag;
    if (read_short_varint(&m->p, m->end, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1FFFFFFF) return -1;
    f->number = (uint32_t)(tag >> 3);
    f->wire = (int)(tag & 7);
    switch (f->wire) {
    case 0:
        return read_varint(&m->p, m->end, &f->num) ? -1 : 1;
    case 1:
    case 5: {
        int n = f->wire == 1 ? 8 : 4;
        if (m->end - m->p < n) return -1;
        f->num = 0;
        for (int i = 0; i < n; i++) f->num |= (uint64_t)m->p[i] << (8 * i);
        m->p += n;
        return 1;
    }
    case 2: {
        uint64_t len;
        if (read_short_varint(&m->p, m->end, &len) || len > (uint64_t)(m->end - m->p)) return -1;
        f->data = m->p;
        f->len = (size_t)len;
        m->p += len;
        return 1;
    }
    case 3:
        return skip_group(m, f->number, 0) ? -1 : 1;
    default:
        return -1;
    }
}

/* The common case inline: a one-byte tag of a field of up to 127 bytes (keys, most values, ids) or a
 * one-byte varint. */
static inline __attribute__((always_inline)) int next_field(Msg *m, Field *f) {
    const uint8_t *p = m->p;
    if (p == m->end) return 0; /* also an absent message: {NULL, NULL} */
    if (m->end - p >= 2 && p[0] < 0x80 && p[1] < 0x80 && p[0] >= 8) {
        uint8_t tag = p[0];
        if ((tag & 7) == 2) {
            if ((size_t)p[1] > (size_t)(m->end - p - 2)) return -1;
            f->number = tag >> 3, f->wire = 2, f->data = p + 2, f->len = p[1];
            m->p = p + 2 + p[1];
            return 1;
        }
        if ((tag & 7) == 0) {
            f->number = tag >> 3, f->wire = 0, f->num = p[1];
            m->p = p + 2;
            return 1;
        }
    }
    return next_field_any(m, f);
}

static int skip_group(Msg *m, uint32_t number, int depth) {
    if (depth > 64) return -1;
    Field f;
    for (;;) {
        if (m->p >= m->end) return -1;
        uint64_t tag;
        const uint8_t *at = m->p;
        if (read_short_varint(&m->p, m->end, &tag)) return -1;
        if ((tag & 7) == 4) return (tag >> 3) == number ? 0 : -1;
        m->p = at;
        if ((tag & 7) == 3) {
            if (read_short_varint(&m->p, m->end, &tag) || skip_group(m, (uint32_t)(tag >> 3), depth + 1)) return -1;
            continue;
        }
        if (next_field(m, &f) != 1) return -1;
    }
}

static inline Msg sub(const Field *f) { return (Msg){f->data, f->data + f->len}; }

/* A known field with another wire type is an unknown field (protobuf's rule, which upb follows). */
#define EXPECT(f, w) \
    if ((f).wire != (w)) continue

/* ---- value rendering ------------------------------------------------------------------------------ */

static const char HEX[] = "0123456789ABCDEF";

/* ClickHouse's JSON string escaping (toJSONString): quotes, backslash and slash escaped, control
 * characters as \b \f \n \r \t or \u00XX, U+2028 and U+2029 as \u2028 and \u2029; the rest as is. */
static void put_json_string(Out *o, const uint8_t *s, size_t n) {
    put_byte(o, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        const char *esc = NULL;
        char u[7];
        if (c == '"') esc = "\\\"";
        else if (c == '\\') esc = "\\\\";
        else if (c == '/') esc = "\\/";
        else if (c == '\b') esc = "\\b";
        else if (c == '\f') esc = "\\f";
        else if (c == '\n') esc = "\\n";
        else if (c == '\r') esc = "\\r";
        else if (c == '\t') esc = "\\t";
        else if (c < 0x20) {
            u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0', u[4] = HEX[c >> 4], u[5] = HEX[c & 15], u[6] = 0;
            esc = u;
        } else if (c == 0xE2 && i + 2 < n && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
            esc = s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
            put(o, s + i - run, run);
            run = 0;
            put_cstr(o, esc);
            i += 2;
            continue;
        }
        if (esc) {
            put(o, s + i - run, run);
            run = 0;
            put_cstr(o, esc);
        } else {
            run++;
        }
    }
    put(o, s + n - run, run);
    put_byte(o, '"');
}

static void put_base64(Out *o, const uint8_t *s, size_t n) {
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (reserve(o, (n + 2) / 3 * 4)) return;
    uint8_t *w = o->buf + o->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        *w++ = A[v >> 18], *w++ = A[(v >> 12) & 63], *w++ = A[(v >> 6) & 63], *w++ = A[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
        *w++ = A[v >> 18], *w++ = A[(v >> 12) & 63];
        *w++ = i + 1 < n ? A[(v >> 6) & 63] : '=';
        *w++ = '=';
    }
    o->len = (size_t)(w - o->buf);
}

static void put_uint(Out *o, uint64_t v) {
    char tmp[24];
    int n = 24;
    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(o, tmp + n, (size_t)(24 - n));
}

static void put_int(Out *o, int64_t v) {
    if (v < 0) put_byte(o, '-');
    put_uint(o, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The shortest decimal digits that read back as v (v > 0, finite), and the decimal exponent of the
 * first digit: v ~ 0.d1d2d3... x 10^point. */
static int shortest_digits(double v, char *digits, int *point) {
    /* Exact fast path: a decimal m / 10^k with m < 2^53 and k <= 22 is read back as the correctly
     * rounded quotient of two exact doubles, so m / 10^k == v is an exact round-trip test. The first k
     * with exactly one of m-1, m, m+1 passing is the shortest; two passing (a tie) take the slow path. */
    if (v < 9007199254740992.0 && v >= 1e-7) {
        for (int k = 0; k <= 22; k++) {
            double x = v * POW10[k];
            if (x >= 9007199254740992.0) break;
            double m = nearbyint(x);
            int hits = 0;
            double found = 0;
            for (int d = -1; d <= 1; d++) {
                double c = m + d;
                if (c > 0 && c / POW10[k] == v) {
                    hits++;
                    found = c;
                }
            }
            if (hits > 1) break;
            if (hits == 1) {
                Out text = {(uint8_t *)digits, 0, 32, 0};
                put_uint(&text, (uint64_t)found);
                char *tmp = digits;
                int n = (int)text.len;
                int exp10 = n - k; /* value = tmp x 10^-k: the point sits n - k digits in */
                while (n > 1 && tmp[n - 1] == '0') n--;
                digits[n] = 0;
                *point = exp10;
                return n;
            }
        }
    }
    /* General path: the correctly rounded 15, 16 then 17 significant digits; the first that reads
     * back is the shortest (for a normal double, any decimal of 15 digits or fewer that reads back is
     * its 15-digit rounding, padded: the double's spacing is finer than half that rounding's). */
    char tmp[40];
    /* Subnormals carry fewer digits than 15: search them from one. */
    for (int precision = v < 2.2250738585072014e-308 ? 1 : 15; precision <= 17; precision++) {
        snprintf(tmp, sizeof tmp, "%.*e", precision - 1, v);
        if (strtod(tmp, NULL) == v || precision == 17) break;
    }
    char *e = strchr(tmp, 'e');
    int exp10 = atoi(e + 1);
    int n = 0;
    for (char *c = tmp; c < e; c++)
        if (*c != '.') digits[n++] = *c;
    while (n > 1 && digits[n - 1] == '0') n--;
    digits[n] = 0;
    *point = exp10 + 1;
    return n;
}

/* A Float64 as ClickHouse prints it. */
static void put_double(Out *o, double v) {
    if (isnan(v)) {
        put_cstr(o, "nan");
        return;
    }
    if (signbit(v)) {
        put_byte(o, '-');
        v = -v;
    }
    if (isinf(v)) {
        put_cstr(o, "inf");
        return;
    }
    if (v == 0) {
        put_byte(o, '0');
        return;
    }
    char digits[40];
    int point;
    int n = shortest_digits(v, digits, &point);
    int exponent = point - 1;
    if (exponent >= -6 && exponent < 21) {
        if (point <= 0) {
            put_cstr(o, "0.");
            for (int i = 0; i < -point; i++) put_byte(o, '0');
            put(o, digits, (size_t)n);
        } else if (point >= n) {
            put(o, digits, (size_t)n);
            for (int i = n; i < point; i++) put_byte(o, '0');
        } else {
            put(o, digits, (size_t)point);
            put_byte(o, '.');
            put(o, digits + point, (size_t)(n - point));
        }
        return;
    }
    put_byte(o, (uint8_t)digits[0]);
    if (n > 1) {
        put_byte(o, '.');
        put(o, digits + 1, (size_t)(n - 1));
    }
    char tmp[8];
    int len = snprintf(tmp, sizeof tmp, "e%d", exponent);
    put(o, tmp, (size_t)len);
}

/* The members of one AnyValue as protobuf merges them: those of every occurrence of field ``field`` of
 * ``holder`` in order (a KeyValue's value: a sender may split it), or of one AnyValue message alone. */
typedef struct {
    Msg holder, any;
    uint32_t field;
} Members;

static Members members_of(Msg holder, uint32_t field) { return (Members){holder, {NULL, NULL}, field}; }

static Members members_alone(Msg any) { return (Members){{NULL, NULL}, any, 0}; }

static int members_next(Members *it, Field *f) {
    for (;;) {
        int r = next_field(&it->any, f);
        if (r) return r;
        Field h;
        do {
            r = next_field(&it->holder, &h);
            if (r <= 0) return r;
        } while (h.number != it->field || h.wire != 2);
        it->any = sub(&h);
    }
}

/* AnyValue's oneof members by field number (string, bool, int, double, array, kvlist, bytes, and the
 * dictionary index of profiles) and their wire types; another wire type is an unknown field. */
static const int MEMBER_WIRE[9] = {-1, 2, 0, 0, 1, 2, 2, 2, 0};

/* Which member is set - the last one seen, protobuf's rule for a oneof - and its value. An array or a
 * kvlist merges the occurrences of its final run (from ``run`` on, counted in members): setting another
 * member in between replaced the earlier ones. */
typedef struct {
    uint32_t kind;
    Field last;
    size_t run;
} Case;

static int any_case(Members it, Case *c) {
    Field f;
    int r;
    size_t index = 0;
    c->kind = 0, c->run = 0;
    while ((r = members_next(&it, &f)) == 1) {
        index++;
        if (f.number < 1 || f.number > 8 || f.wire != MEMBER_WIRE[f.number]) continue;
        if (f.number != c->kind) c->run = index;
        c->kind = f.number, c->last = f;
    }
    return r;
}

static int render_members(Out *o, Out *scratch, Members it, int nested);

/* A list element (an array's AnyValue, a kvlist's value) as a JSON string; lists in it render as ''. */
static int put_json_element(Out *o, Out *scratch, Members it) {
    scratch->len = 0;
    if (render_members(scratch, NULL, it, 1)) return -1;
    put_json_string(o, scratch->buf ? scratch->buf : (const uint8_t *)"", scratch->len);
    return 0;
}

static int read_key_value(Msg kv, const uint8_t **key, size_t *key_len) {
    Field f;
    int r;
    *key = (const uint8_t *)"";
    *key_len = 0;
    while ((r = next_field(&kv, &f)) == 1)
        if (f.number == 1) {
            EXPECT(f, 2);
            *key = f.data, *key_len = f.len;
        }
    return r;
}

/* The final run of array_value (kind 5) or kvlist_value (kind 6) occurrences as one JSON array or object;
 * with no elements it writes nothing. */
static int put_json_list(Out *o, Out *scratch, Members it, const Case *c) {
    Field f, g;
    int r, s, count = 0;
    size_t index = 0;
    while ((r = members_next(&it, &f)) == 1) {
        if (++index < c->run || f.number != c->kind || f.wire != 2) continue;
        Msg list = sub(&f);
        while ((s = next_field(&list, &g)) == 1) {
            if (g.number != 1 || g.wire != 2) continue;
            put_byte(o, count++ ? ',' : (c->kind == 5 ? '[' : '{'));
            if (c->kind == 5) {
                if (put_json_element(o, scratch, members_alone(sub(&g)))) return -1;
                continue;
            }
            const uint8_t *key;
            size_t key_len;
            if (read_key_value(sub(&g), &key, &key_len) < 0) return -1;
            put_json_string(o, key, key_len);
            put_byte(o, ':');
            if (put_json_element(o, scratch, members_of(sub(&g), 2))) return -1;
        }
        if (s < 0) return -1;
    }
    if (count) put_byte(o, c->kind == 5 ? ']' : '}');
    return r;
}

/* An AnyValue as text, into o (no length prefix): as the Protobuf path renders a canonical one (ints in
 * decimal, doubles as ClickHouse prints them, bools, bytes in base64, arrays and kvlists as JSON of
 * their scalars, '' for a list nested in a list or nothing set). */
static int render_members(Out *o, Out *scratch, Members it, int nested) {
    Case c;
    if (any_case(it, &c) < 0) return -1;
    double d;
    switch (c.kind) {
    case 1: put(o, c.last.data, c.last.len); return 0;
    case 2: put_cstr(o, c.last.num ? "true" : "false"); return 0;
    case 3: put_int(o, (int64_t)c.last.num); return 0;
    case 4: memcpy(&d, &c.last.num, 8); put_double(o, d); return 0;
    case 7: put_base64(o, c.last.data, c.last.len); return 0;
    case 5:
    case 6: return nested ? 0 : put_json_list(o, scratch, it, &c);
    default: return 0;
    }
}

/* ---- one span's lists ------------------------------------------------------------------------------ */

typedef struct {
    const uint8_t *ptr;
    size_t len;
} Bytes;

static const Bytes NONE = {(const uint8_t *)"", 0};

static inline int eq_bytes(Bytes a, Bytes b) { return a.len == b.len && (!a.len || memcmp(a.ptr, b.ptr, a.len) == 0); }

static inline int starts_bytes(Bytes b, Bytes prefix) {
    return b.len >= prefix.len && memcmp(b.ptr, prefix.ptr, prefix.len) == 0;
}

#define CSTR(s) ((Bytes){(const uint8_t *)(s), sizeof(s) - 1})
/* Comparisons with string literals, their lengths known at compile time. */
#define EQ(b, lit) eq_bytes((b), CSTR(lit))
#define STARTS(b, lit) starts_bytes((b), CSTR(lit))
#define ENDS(b, lit) ((b).len >= sizeof(lit) - 1 && memcmp((b).ptr + (b).len - (sizeof(lit) - 1), lit, sizeof(lit) - 1) == 0)

typedef struct {
    Bytes key;   /* as sent */
    Bytes name;  /* the current OTel GenAI name (inferops_genai_key), for span attributes */
    Msg kv;      /* the KeyValue: its value is every occurrence of field 2, merged */
    size_t at, len; /* the rendered value, in the walk's arena */
    uint8_t content;
    uint8_t flags;  /* what the key says of the span's dialect (KF_*) */
    int8_t wanted;  /* the index in KEYS of its name, -1 if no lookup reads it */
} Pair;

typedef struct {
    uint64_t time;
    Bytes name;
    size_t from, to; /* its attributes in the event pairs */
} Event;

typedef struct {
    Bytes trace_id, span_id;
} Link;

/* A growable array of T, reused from span to span. */
#define VEC(T) struct { T *items; size_t n, cap; }
typedef VEC(Pair) Pairs;
typedef VEC(Event) Events;
typedef VEC(Link) Links;
typedef VEC(size_t) Order;

static void *vec_push(void **items, size_t *n, size_t *cap, size_t size) {
    if (*n == *cap) {
        size_t grown = *cap ? *cap * 2 : 64;
        void *p = realloc(*items, grown * size);
        if (!p) return NULL;
        *items = p;
        *cap = grown;
    }
    return (char *)*items + (*n)++ * size;
}
#define PUSH(v) vec_push((void **)&(v).items, &(v).n, &(v).cap, sizeof *(v).items)

static int add_pair(Pairs *ps, const Field *kv) {
    if (kv->wire != 2) return 0;
    Pair *p = PUSH(*ps);
    if (!p) return -1;
    memset(p, 0, sizeof *p);
    p->wanted = -1; /* until render_pairs reads the key */
    p->kv = sub(kv);
    return read_key_value(p->kv, &p->key.ptr, &p->key.len) < 0 ? -1 : 0;
}

/* The rows go out as one block of ClickHouse's Native format: column by column, each column's values
 * together (ClickHouse parsed the same rows as RowBinary at 1.4 us a span, as Native at 0.6). An array
 * column is its rows' cumulative element counts (UInt64), then all their elements; an array of arrays
 * adds the inner arrays' cumulative counts between the two. */
enum { V_U8, V_U64, V_STR, V_ARRAY, V_ARRAY2 };
enum { C_IS_SPAN, C_PROJECT_ID, C_RECEIVED, C_ACCEPTED, C_REJECTED, C_REJECTED_REQUESTS, C_START, C_END, C_DURATION,
       C_TRACE_ID, C_SPAN_ID, C_PARENT_SPAN_ID, C_TRACE_STATE, C_NAME, C_KIND, C_STATUS_CODE, C_STATUS_MESSAGE,
       C_STATUS_ERROR, C_SERVICE_NAME, C_SCOPE_NAME, C_SCOPE_VERSION, C_DIALECT, C_OPERATION, C_PROVIDER, C_ANTHROPIC,
       C_LEGACY_INPUT, C_REQUEST_MODEL, C_RESPONSE_MODEL, C_INPUT_TOKENS, C_OUTPUT_TOKENS, C_CACHE_READ_TOKENS,
       C_CACHE_WRITE_TOKENS, C_REASONING_TOKENS, C_TTFT, C_FINISH_REASONS, C_ERROR_TYPE, C_TENANT, C_ENDPOINT, C_HOST,
       C_GPU_ID, C_AGENT_NAME, C_TOOL_NAME, C_CONVERSATION_ID, C_RENAMED, C_RESOURCE_KEYS, C_RESOURCE_VALUES,
       C_ATTRIBUTE_KEYS, C_ATTRIBUTE_VALUES, C_EVENT_TIMES, C_EVENT_NAMES, C_EVENT_KEYS, C_EVENT_VALUES,
       C_LINK_TRACE_IDS, C_LINK_SPAN_IDS, C_COUNT };
static const struct {
    const char *name, *type;
    int shape;
} COLUMNS[C_COUNT] = {
    {"is_span", "UInt8", V_U8}, {"project_id", "UInt64", V_U64}, {"received_unix_nano", "UInt64", V_U64},
    {"accepted_items", "UInt64", V_U64}, {"rejected_items", "UInt64", V_U64}, {"rejected_requests", "UInt64", V_U64},
    {"start_ns", "Int64", V_U64}, {"end_ns", "Int64", V_U64}, {"duration_ns", "UInt64", V_U64},
    {"trace_id_bytes", "String", V_STR}, {"span_id_bytes", "String", V_STR}, {"parent_span_id_bytes", "String", V_STR},
    {"trace_state", "String", V_STR}, {"name", "String", V_STR}, {"kind", "String", V_STR},
    {"status_code", "String", V_STR}, {"status_message", "String", V_STR}, {"status_error", "UInt8", V_U8},
    {"service_name", "String", V_STR}, {"scope_name", "String", V_STR}, {"scope_version", "String", V_STR},
    {"dialect", "String", V_STR}, {"operation", "String", V_STR}, {"provider", "String", V_STR},
    {"anthropic", "UInt8", V_U8}, {"legacy_input", "UInt8", V_U8}, {"request_model", "String", V_STR},
    {"response_model", "String", V_STR}, {"input_tokens_text", "String", V_STR}, {"output_tokens_text", "String", V_STR},
    {"cache_read_tokens_text", "String", V_STR}, {"cache_write_tokens_text", "String", V_STR},
    {"reasoning_tokens_text", "String", V_STR}, {"ttft_text", "String", V_STR}, {"finish_reasons_text", "String", V_STR},
    {"error_type", "String", V_STR}, {"tenant", "String", V_STR}, {"endpoint", "String", V_STR},
    {"host", "String", V_STR}, {"gpu_id", "String", V_STR}, {"agent_name", "String", V_STR},
    {"tool_name", "String", V_STR}, {"conversation_id", "String", V_STR}, {"renamed", "UInt8", V_U8},
    {"resource_keys", "Array(String)", V_ARRAY}, {"resource_values", "Array(String)", V_ARRAY},
    {"attribute_keys", "Array(String)", V_ARRAY}, {"attribute_values", "Array(String)", V_ARRAY},
    {"event_times", "Array(Int64)", V_ARRAY}, {"event_names", "Array(String)", V_ARRAY},
    {"event_keys", "Array(Array(String))", V_ARRAY2}, {"event_values", "Array(Array(String))", V_ARRAY2},
    {"link_trace_ids", "Array(String)", V_ARRAY}, {"link_span_ids", "Array(String)", V_ARRAY},
};

typedef struct {
    Out data;           /* the values (an array's elements) */
    Out ends;           /* arrays: where each row's array ends among the elements (or inner arrays) */
    Out inner_ends;     /* arrays of arrays: where each inner array ends among the elements */
    uint64_t n, inner_n; /* elements (or inner arrays) so far, and inner arrays' elements so far */
} Column;

/* What a key alone decides - whether it is content, its current name, which lookup reads it, what it says
 * of the dialect - computed once per distinct key of a batch and cached for the walk (keys repeat from
 * span to span; the tests below took a fifth of the walk). */
typedef struct {
    uint8_t content, flags;
    int8_t old;                 /* its index in OLD (a deprecated name), -1 */
    int8_t wanted, wanted_name; /* the index in KEYS of the key and of its current name, -1 */
} KeyFacts;

typedef struct {
    Bytes key; /* NULL ptr: empty */
    uint64_t hash;
    KeyFacts facts;
} FactsSlot;

typedef struct {
    Column *columns; /* the rows, column by column */
    uint64_t rows;
    Out arena;    /* the current span's rendered values */
    Out res_arena; /* the current resource's rendered values */
    Out scratch;  /* one rendered leaf of an array or kvlist */
    Out scratch2; /* one rendered content value, before its HMAC */
    Out resource_keys, resource_values; /* the current resource's attributes kept, as the two columns' elements */
    size_t resource_n;
    Out tmp;      /* text derived from the span's values (lower- and upper-cased) */
    Pairs pairs;       /* the span's attributes */
    Pairs event_pairs; /* its events' attributes */
    Pairs resource_pairs;
    Order kept, order; /* the span's attributes kept after redaction, and in the stored map's order */
    Events events;
    Links links;
    FactsSlot *facts; /* what each key decides (NULL: out of memory, computed each time) */
    size_t facts_n;
} Walk;

static inline Out *col(Walk *w, int c) { return &w->columns[c].data; }

/* An array column's row ends after ``n`` more elements (an array of arrays: ``n`` more inner arrays). */
static inline void end_array(Walk *w, int c, uint64_t n) {
    Column *k = &w->columns[c];
    k->n += n;
    put_le(&k->ends, k->n, 8);
}

static inline void end_inner_array(Walk *w, int c, uint64_t n) {
    Column *k = &w->columns[c];
    k->inner_n += n;
    put_le(&k->inner_ends, k->inner_n, 8);
}

#define MAX_KEY_LENGTH 64

/* A constant table of names, bucketed by length so that a test compares with at most a few of them. */
typedef struct {
    const Bytes *names;
    int8_t by_length[MAX_KEY_LENGTH][8]; /* indexes into names, -1 ended (tables hold at most 5 of a length) */
} Names;

static void names_index(Names *t) {
    memset(t->by_length, -1, sizeof t->by_length);
    for (int i = 0; t->names[i].ptr; i++) {
        int8_t *slot = t->by_length[t->names[i].len];
        while (*slot >= 0) slot++;
        *slot = (int8_t)i;
    }
}

/* The index of ``b`` in the table, -1 if absent. */
static inline int names_find(const Names *t, Bytes b) {
    if (b.len == 0 || b.len >= MAX_KEY_LENGTH) return -1;
    for (const int8_t *i = t->by_length[b.len]; *i >= 0; i++)
        if (memcmp(b.ptr, t->names[*i].ptr, b.len) == 0) return *i;
    return -1;
}

/* ---- the content test and current names (schema 0023's inferops_is_content, 0002's inferops_genai_key) */

static Bytes first_two(Bytes k) { /* substringIndex(k, '.', 2) */
    int dots = 0;
    for (size_t i = 0; i < k.len; i++)
        if (k.ptr[i] == '.' && ++dots == 2) return (Bytes){k.ptr, i};
    return k;
}

static const Bytes HEADS[] = {CSTR("gen_ai.input"), CSTR("gen_ai.output"), CSTR("gen_ai.system_instructions"), CSTR("gen_ai.tool"), CSTR("gen_ai.prompt"), CSTR("gen_ai.completion"), CSTR("gen_ai.content"), CSTR("gen_ai.event"), CSTR("gen_ai.guardrail"), CSTR("input.value"), CSTR("output.value"), CSTR("llm.prompts"), CSTR("llm.prompt_template"), CSTR("llm.input_messages"), CSTR("llm.output_messages"), CSTR("llm.completions"), CSTR("traceloop.entity"), CSTR("message.content"), CSTR("tool_call.function"), CSTR("guard.prompt"), CSTR("guard.text"), CSTR("reranker.query"), CSTR("reranker.input_documents"), CSTR("reranker.output_documents"), CSTR("retrieval.documents"), CSTR("embedding.embeddings"), {NULL, 0}};
static const Bytes WHOLE[] = {CSTR("gen_ai.input.messages"), CSTR("gen_ai.output.messages"), CSTR("gen_ai.system_instructions"), CSTR("gen_ai.tool.call.arguments"), CSTR("gen_ai.tool.call.result"), CSTR("gen_ai.prompt"), CSTR("gen_ai.completion"), CSTR("gen_ai.content.prompt"), CSTR("gen_ai.content.completion"), CSTR("gen_ai.event.content"), CSTR("input.value"), CSTR("output.value"), CSTR("llm.prompts"), CSTR("llm.prompt_template.template"), CSTR("llm.prompt_template.variables"), CSTR("traceloop.entity.input"), CSTR("traceloop.entity.output"), CSTR("message.content"), CSTR("tool_call.function.arguments"), CSTR("guard.prompt"), CSTR("guard.text"), CSTR("reranker.query"), {NULL, 0}};
static const Bytes PREFIXES[] = {CSTR("llm.input_messages."), CSTR("llm.output_messages."), CSTR("llm.prompts."), CSTR("llm.completions."), CSTR("retrieval.documents."), CSTR("reranker.input_documents."), CSTR("reranker.output_documents."), CSTR("embedding.embeddings."), CSTR("gen_ai.guardrail.security.content."), {NULL, 0}};
static const Bytes OLD[] = {CSTR("gen_ai.system"), CSTR("gen_ai.usage.prompt_tokens"), CSTR("gen_ai.usage.completion_tokens"), CSTR("gen_ai.openai.request.seed"), CSTR("gen_ai.openai.request.response_format"), CSTR("gen_ai.openai.request.service_tier"), CSTR("gen_ai.openai.response.service_tier"), CSTR("gen_ai.openai.response.system_fingerprint"), CSTR("gen_ai.usage.cache_read_input_tokens"), CSTR("gen_ai.usage.cache_creation_input_tokens"), CSTR("gen_ai.usage.cache_write.input_tokens"), CSTR("gen_ai.usage.reasoning_tokens"), CSTR("llm.token_count.prompt"), CSTR("llm.token_count.completion"), CSTR("llm.token_count.prompt_details.cache_read"), CSTR("llm.token_count.prompt_details.cache_write"), CSTR("llm.token_count.completion_details.reasoning"), CSTR("llm.usage.prompt_tokens"), CSTR("llm.usage.completion_tokens"), CSTR("llm.usage.reasoning_tokens"), CSTR("llm.model_name"), CSTR("llm.request.model"), CSTR("llm.response.model"), CSTR("llm.finish_reason"), CSTR("llm.response.finish_reason"), CSTR("gen_ai.server.ttft"), CSTR("gen_ai.server.time_to_first_token"), CSTR("llm.response.time_to_first_token"), CSTR("agent.name"), CSTR("tool.name"), {NULL, 0}};
static const Bytes NEW[] = {CSTR("gen_ai.provider.name"), CSTR("gen_ai.usage.input_tokens"), CSTR("gen_ai.usage.output_tokens"), CSTR("gen_ai.request.seed"), CSTR("gen_ai.output.type"), CSTR("openai.request.service_tier"), CSTR("openai.response.service_tier"), CSTR("openai.response.system_fingerprint"), CSTR("gen_ai.usage.cache_read.input_tokens"), CSTR("gen_ai.usage.cache_creation.input_tokens"), CSTR("gen_ai.usage.cache_creation.input_tokens"), CSTR("gen_ai.usage.reasoning.output_tokens"), CSTR("gen_ai.usage.input_tokens"), CSTR("gen_ai.usage.output_tokens"), CSTR("gen_ai.usage.cache_read.input_tokens"), CSTR("gen_ai.usage.cache_creation.input_tokens"), CSTR("gen_ai.usage.reasoning.output_tokens"), CSTR("gen_ai.usage.input_tokens"), CSTR("gen_ai.usage.output_tokens"), CSTR("gen_ai.usage.reasoning.output_tokens"), CSTR("gen_ai.response.model"), CSTR("gen_ai.request.model"), CSTR("gen_ai.response.model"), CSTR("gen_ai.response.finish_reasons"), CSTR("gen_ai.response.finish_reasons"), CSTR("gen_ai.response.time_to_first_chunk"), CSTR("gen_ai.response.time_to_first_chunk"), CSTR("gen_ai.response.time_to_first_chunk"), CSTR("gen_ai.agent.name"), CSTR("gen_ai.tool.name")};
static Names CONTENT_HEADS = {HEADS, {{0}}}, CONTENT_NAMES = {WHOLE, {{0}}}, OLD_NAMES = {OLD, {{0}}};

static int is_content(Bytes k) {
    if (names_find(&CONTENT_HEADS, first_two(k)) < 0) return 0;
    int match = names_find(&CONTENT_NAMES, k) >= 0;
    for (int i = 0; PREFIXES[i].ptr && !match; i++) match = starts_bytes(k, PREFIXES[i]);
    if (!match && (STARTS(k, "gen_ai.prompt.") || STARTS(k, "gen_ai.completion."))) {
        size_t at = STARTS(k, "gen_ai.prompt.") ? 14 : 18;
        match = k.len > at && k.ptr[at] >= '0' && k.ptr[at] <= '9';
    }
    return match && !(STARTS(k, "gen_ai.guardrail.security.content.") && ENDS(k, ".hash"));
}

/* transform(value, from, to, default) over constant tables. */
static Bytes transform(Bytes v, const Bytes *from, const Bytes *to, Bytes otherwise) {
    for (int i = 0; from[i].ptr; i++)
        if (eq_bytes(v, from[i])) return to[i];
    return otherwise;
}

/* What ingest appended to the request: the project, accounting counts, and what to do with content
 * (redaction: 0 drop, 1 hash with the key's pads inner and outer, 2 keep). */
typedef struct {
    uint64_t project_id, received, accepted, rejected, rejected_requests;
    uint32_t redaction;
    Bytes inner, outer;
} Envelope;

/* ---- HMAC-SHA-256 of content (hash mode), as inferops_hmac computes it from the key's two pads ---- */

typedef struct {
    uint32_t h[8];
    uint8_t block[64];
    uint64_t bytes;
    size_t used;
} Sha256;

static const uint32_t SHA_K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(Sha256 *c, const uint8_t *b) {
    uint32_t w[64], v[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 | (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, c->h, sizeof v);
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = v[7] + (ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25)) + ((v[4] & v[5]) ^ (~v[4] & v[6])) + SHA_K[i] + w[i];
        uint32_t t2 = (ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22)) + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof *v);
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++) c->h[i] += v[i];
}

static void sha_init(Sha256 *c) {
    static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, H0, sizeof H0);
    c->bytes = 0;
    c->used = 0;
}

static void sha_update(Sha256 *c, const uint8_t *p, size_t n) {
    c->bytes += n;
    while (n) {
        size_t take = 64 - c->used < n ? 64 - c->used : n;
        memcpy(c->block + c->used, p, take);
        c->used += take, p += take, n -= take;
        if (c->used == 64) {
            sha_block(c, c->block);
            c->used = 0;
        }
    }
}

static void sha_final(Sha256 *c, uint8_t out[32]) {
    uint64_t bits = c->bytes * 8;
    uint8_t pad = 0x80, zero = 0, len[8];
    sha_update(c, &pad, 1);
    while (c->used != 56) sha_update(c, &zero, 1);
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha_update(c, len, 8);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (uint8_t)(c->h[i] >> (24 - 8 * j));
}

/* "hmac-sha256:" and the hex of SHA256(outer || SHA256(inner || value)). */
static void put_hmac(Out *o, Bytes value, Bytes inner, Bytes outer) {
    Sha256 c;
    uint8_t digest[32];
    sha_init(&c);
    sha_update(&c, inner.ptr, inner.len);
    sha_update(&c, value.ptr, value.len);
    sha_final(&c, digest);
    sha_init(&c);
    sha_update(&c, outer.ptr, outer.len);
    sha_update(&c, digest, 32);
    sha_final(&c, digest);
    put_cstr(o, "hmac-sha256:");
    for (int i = 0; i < 32; i++) put_byte(o, (uint8_t)"0123456789abcdef"[digest[i] >> 4]), put_byte(o, (uint8_t)"0123456789abcdef"[digest[i] & 15]);
}

/* ---- rendering and lookups ----------------------------------------------------------------------------- */

static KeyFacts facts_of(FactsSlot *cache, size_t *cached, Bytes k);

/* Each pair's value rendered into the arena (its HMAC if it is content and the project hashes content),
 * whether it is content, and (for span attributes) its current name. */
static int render_pairs(Walk *w, Out *arena, Pairs *ps, const Envelope *e, int names) {
    for (size_t i = 0; i < ps->n; i++) {
        Pair *p = &ps->items[i];
        KeyFacts f = facts_of(w->facts, &w->facts_n, p->key);
        p->content = f.content;
        p->name = names && f.old >= 0 ? NEW[f.old] : p->key;
        p->wanted = names ? f.wanted_name : f.wanted;
        p->flags = f.flags;
        Out *into = p->content && e->redaction == 1 ? &w->scratch2 : arena;
        size_t at = into->len;
        if (render_members(into, &w->scratch, members_of(p->kv, 2), 0)) return -1;
        p->at = at;
        if (into != arena) {
            p->at = arena->len;
            put_hmac(arena, (Bytes){into->buf ? into->buf + at : (const uint8_t *)"", into->len - at}, e->inner, e->outer);
            into->len = at;
        }
        p->len = arena->len - p->at;
    }
    return 0;
}

static inline Bytes value_of(const Out *arena, const Pair *p) { return (Bytes){arena->buf + p->at, p->len}; }


/* ---- lookups ------------------------------------------------------------------------------------- */

/* The attribute names the normalisation reads. */
enum { K_ERROR_TYPE, K_EXCEPTION_TYPE, K_GEN_AI_AGENT_NAME, K_GEN_AI_CONVERSATION_ID, K_GEN_AI_OPERATION_NAME, K_GEN_AI_PROVIDER_NAME, K_GEN_AI_REQUEST_MODEL, K_GEN_AI_RESPONSE_FINISH_REASONS, K_GEN_AI_RESPONSE_MODEL, K_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, K_GEN_AI_TOOL_NAME, K_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, K_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, K_GEN_AI_USAGE_INPUT_TOKENS, K_GEN_AI_USAGE_OUTPUT_TOKENS, K_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, K_GPU_ID, K_GPU_UUID, K_HOST_NAME, K_HTTP_ROUTE, K_HW_ID, K_INFEROPS_ENDPOINT, K_INFEROPS_TENANT, K_LLM_PROVIDER, K_LLM_REQUEST_TYPE, K_LLM_SYSTEM, K_OPENINFERENCE_SPAN_KIND, K_RPC_METHOD, K_SERVER_ADDRESS, K_SERVICE_NAME, K_SESSION_ID, K_TENANT, K_TENANT_ID, K_TRACELOOP_SPAN_KIND, K_URL_TEMPLATE, K_COUNT };
static const Bytes KEYS[K_COUNT] = {[K_ERROR_TYPE] = CSTR("error.type"), [K_EXCEPTION_TYPE] = CSTR("exception.type"), [K_GEN_AI_AGENT_NAME] = CSTR("gen_ai.agent.name"), [K_GEN_AI_CONVERSATION_ID] = CSTR("gen_ai.conversation.id"), [K_GEN_AI_OPERATION_NAME] = CSTR("gen_ai.operation.name"), [K_GEN_AI_PROVIDER_NAME] = CSTR("gen_ai.provider.name"), [K_GEN_AI_REQUEST_MODEL] = CSTR("gen_ai.request.model"), [K_GEN_AI_RESPONSE_FINISH_REASONS] = CSTR("gen_ai.response.finish_reasons"), [K_GEN_AI_RESPONSE_MODEL] = CSTR("gen_ai.response.model"), [K_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = CSTR("gen_ai.response.time_to_first_chunk"), [K_GEN_AI_TOOL_NAME] = CSTR("gen_ai.tool.name"), [K_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = CSTR("gen_ai.usage.cache_creation.input_tokens"), [K_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = CSTR("gen_ai.usage.cache_read.input_tokens"), [K_GEN_AI_USAGE_INPUT_TOKENS] = CSTR("gen_ai.usage.input_tokens"), [K_GEN_AI_USAGE_OUTPUT_TOKENS] = CSTR("gen_ai.usage.output_tokens"), [K_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = CSTR("gen_ai.usage.reasoning.output_tokens"), [K_GPU_ID] = CSTR("gpu.id"), [K_GPU_UUID] = CSTR("gpu.uuid"), [K_HOST_NAME] = CSTR("host.name"), [K_HTTP_ROUTE] = CSTR("http.route"), [K_HW_ID] = CSTR("hw.id"), [K_INFEROPS_ENDPOINT] = CSTR("inferops.endpoint"), [K_INFEROPS_TENANT] = CSTR("inferops.tenant"), [K_LLM_PROVIDER] = CSTR("llm.provider"), [K_LLM_REQUEST_TYPE] = CSTR("llm.request.type"), [K_LLM_SYSTEM] = CSTR("llm.system"), [K_OPENINFERENCE_SPAN_KIND] = CSTR("openinference.span.kind"), [K_RPC_METHOD] = CSTR("rpc.method"), [K_SERVER_ADDRESS] = CSTR("server.address"), [K_SERVICE_NAME] = CSTR("service.name"), [K_SESSION_ID] = CSTR("session.id"), [K_TENANT] = CSTR("tenant"), [K_TENANT_ID] = CSTR("tenant.id"), [K_TRACELOOP_SPAN_KIND] = CSTR("traceloop.span.kind"), [K_URL_TEMPLATE] = CSTR("url.template")};

static int8_t BY_LENGTH[MAX_KEY_LENGTH][8]; /* the wanted names of each length, -1 ended */

static void index_names(void) {
    memset(BY_LENGTH, -1, sizeof BY_LENGTH);
    for (int k = 0; k < K_COUNT; k++) {
        int8_t *slot = BY_LENGTH[KEYS[k].len];
        while (*slot >= 0) slot++;
        *slot = (int8_t)k;
    }
}

/* The index in KEYS of a name, -1 if no lookup reads it. */
static int wanted_index(Bytes name) {
    if (name.len == 0 || name.len >= MAX_KEY_LENGTH) return -1;
    for (const int8_t *k = BY_LENGTH[name.len]; *k >= 0; k++)
        if (memcmp(name.ptr, KEYS[*k].ptr, name.len) == 0) return *k;
    return -1;
}

/* What the spans view derives from the attribute keys (kept after redaction, as sent), a bit each. */
enum { KF_OI = 1, KF_OLLM = 2, KF_DEPRECATED = 4, KF_GENAI = 8, KF_INPUT = 16, KF_PROMPT = 32, KF_GUARD = 64 };

static uint8_t key_flags(Bytes k) {
    return (uint8_t)((EQ(k, "openinference.span.kind") || EQ(k, "llm.token_count.prompt") ? KF_OI : 0) |
                     (STARTS(k, "traceloop.") || STARTS(k, "llm.usage.") ? KF_OLLM : 0) |
                     (EQ(k, "gen_ai.system") || EQ(k, "gen_ai.usage.prompt_tokens") ? KF_DEPRECATED : 0) |
                     (STARTS(k, "gen_ai.") ? KF_GENAI : 0) | (EQ(k, "gen_ai.usage.input_tokens") ? KF_INPUT : 0) |
                     (EQ(k, "gen_ai.usage.prompt_tokens") || EQ(k, "llm.usage.prompt_tokens") ? KF_PROMPT : 0) |
                     (STARTS(k, "gen_ai.guardrail.") || STARTS(k, "guard.") ? KF_GUARD : 0));
}

static KeyFacts compute_facts(Bytes k) {
    KeyFacts f = {(uint8_t)is_content(k), key_flags(k), (int8_t)names_find(&OLD_NAMES, k), (int8_t)wanted_index(k), -1};
    f.wanted_name = f.old < 0 ? f.wanted : (int8_t)wanted_index(NEW[f.old]);
    return f;
}

/* The cache, one per walk (a batch holds a few dozen distinct keys): open addressing, a few probes; its
 * keys point into the batch's envelopes. Keys past its bounds (hostile or unusual input) are simply
 * computed each time. */
#define FACTS_SLOTS 1024
#define FACTS_MAX 768
#define FACTS_PROBES 8

static inline uint64_t key_hash(Bytes k) { /* every byte counts: keys of a family differ mid-way */
    uint64_t h = k.len * 0x9E3779B97F4A7C15ULL, w = 0;
    size_t i = 0;
    for (; i + 8 <= k.len; i += 8) {
        memcpy(&w, k.ptr + i, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
    }
    if (i < k.len) {
        w = 0;
        if (k.len >= 8) memcpy(&w, k.ptr + k.len - 8, 8); /* the last 8 bytes, overlapping */
        else
            for (size_t j = 0; j < k.len; j++) w = w << 8 | k.ptr[j];
        h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
    }
    h ^= h >> 33; /* MurmurHash3's finaliser: every input bit reaches the slot bits */
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    return h ^ (h >> 33);
}

static inline int same_bytes(const uint8_t *a, const uint8_t *b, size_t n) { /* keys are short: no call */
    for (; n >= 8; a += 8, b += 8, n -= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y) return 0;
    }
    for (; n; n--)
        if (*a++ != *b++) return 0;
    return 1;
}

static KeyFacts facts_of(FactsSlot *cache, size_t *cached, Bytes k) {
    if (!cache || k.len == 0) return compute_facts(k);
    uint64_t h = key_hash(k);
    for (size_t i = 0, s = h & (FACTS_SLOTS - 1); i < FACTS_PROBES; i++, s = (s + 1) & (FACTS_SLOTS - 1)) {
        FactsSlot *slot = &cache[s];
        if (!slot->key.ptr) {
            KeyFacts f = compute_facts(k);
            if (*cached < FACTS_MAX) {
                *slot = (FactsSlot){k, h, f};
                ++*cached;
            }
            return f;
        }
        if (slot->hash == h && slot->key.len == k.len && same_bytes(slot->key.ptr, k.ptr, k.len)) return slot->facts;
    }
    return compute_facts(k);
}

/* first[k]: the pair that a map lookup of wanted name k returns (the first so named), -1 if none. */
static void index_pairs(const Pairs *ps, const size_t *order, size_t n, int32_t *first) {
    for (int k = 0; k < K_COUNT; k++) first[k] = -1;
    for (size_t i = 0; i < n; i++) {
        int k = ps->items[order[i]].wanted;
        if (k >= 0 && first[k] < 0) first[k] = (int32_t)order[i];
    }
}

static inline Bytes looked_up(const Out *arena, const Pairs *ps, const int32_t *first, int k) {
    return first[k] < 0 ? NONE : (Bytes){arena->buf + ps->items[first[k]].at, ps->items[first[k]].len};
}

static inline Bytes first_of(Bytes a, Bytes b) { return a.len ? a : b; } /* coalesce(nullIf(a, ''), b) */

/* Array(String) of keys, Array(String) of values. */
/* A map's keys and values, as the elements of its two array columns. */
static void put_map(Out *keys, Out *values, const Out *arena, const Pairs *ps, const size_t *order, size_t n,
                    int names) {
    for (size_t i = 0; i < n; i++) {
        Bytes k = names ? ps->items[order[i]].name : ps->items[order[i]].key;
        put_str(keys, k.ptr, k.len);
        Bytes v = value_of(arena, &ps->items[order[i]]);
        put_str(values, v.ptr, v.len);
    }
}

static inline void put_bytes(Out *o, Bytes b) { put_str(o, b.ptr, b.len); }

static void ascii_case(Out *o, Bytes b, int upper) {
    if (reserve(o, b.len)) return;
    for (size_t i = 0; i < b.len; i++) {
        uint8_t c = b.ptr[i];
        if (upper && c >= 'a' && c <= 'z') c -= 32;
        if (!upper && c >= 'A' && c <= 'Z') c += 32;
        o->buf[o->len++] = c;
    }
}

/* ---- events, links, status -------------------------------------------------------------------------- */

static int read_event(Walk *w, const Field *field) {
    if (field->wire != 2) return 0;
    Event *e = PUSH(w->events);
    if (!e) return -1;
    *e = (Event){0, NONE, w->event_pairs.n, w->event_pairs.n};
    Msg m = sub(field);
    Field f;
    int r;
    while ((r = next_field(&m, &f)) == 1) {
        if (f.number == 1) {
            EXPECT(f, 1);
            e->time = f.num;
        } else if (f.number == 2) {
            EXPECT(f, 2);
            e->name = (Bytes){f.data, f.len};
        } else if (f.number == 3) {
            if (add_pair(&w->event_pairs, &f)) return -1;
        }
    }
    e->to = w->event_pairs.n;
    return r;
}

static int read_link(Walk *w, const Field *field) {
    if (field->wire != 2) return 0;
    Link l = {NONE, NONE};
    Msg m = sub(field);
    Field f;
    int r;
    while ((r = next_field(&m, &f)) == 1) {
        if (f.number == 1) {
            EXPECT(f, 2);
            l.trace_id = (Bytes){f.data, f.len};
        } else if (f.number == 2) {
            EXPECT(f, 2);
            l.span_id = (Bytes){f.data, f.len};
        }
    }
    if (r < 0) return -1;
    if (l.trace_id.len == 16 && l.span_id.len == 8) { /* links to anything else are not stored */
        Link *kept = PUSH(w->links);
        if (!kept) return -1;
        *kept = l;
    }
    return 0;
}

typedef struct {
    Bytes trace_id, span_id, trace_state, parent_span_id, name, status_message;
    int32_t kind, status_code;
    uint64_t start, end;
} Span;

static int read_status(Msg m, Span *s) {
    Field f;
    int r;
    while ((r = next_field(&m, &f)) == 1) {
        if (f.number == 2) {
            EXPECT(f, 2);
            s->status_message = (Bytes){f.data, f.len};
        } else if (f.number == 3) {
            EXPECT(f, 0);
            s->status_code = (int32_t)f.num;
        }
    }
    return r;
}

static int bytes_field(const Field *f, Bytes *b) {
    if (f->wire == 2) *b = (Bytes){f->data, f->len};
    return 0;
}

/* ---- the rows ------------------------------------------------------------------------------------ */


/* The current resource: its attributes kept after redaction, and the values the spans read from them. */
typedef struct {
    Bytes service, tenant, endpoint, host, gpu;
} Resource;

static void put_envelope_columns(Walk *w, const Envelope *e, int is_span) {
    w->rows++;
    put_byte(col(w, C_IS_SPAN), (uint8_t)is_span);
    put_le(col(w, C_PROJECT_ID), e->project_id, 8);
    put_le(col(w, C_RECEIVED), e->received, 8);
    put_le(col(w, C_ACCEPTED), is_span ? 0 : e->accepted, 8);
    put_le(col(w, C_REJECTED), is_span ? 0 : e->rejected, 8);
    put_le(col(w, C_REJECTED_REQUESTS), is_span ? 0 : e->rejected_requests, 8);
}

/* The envelope's accounting row: its own columns, every other one empty. */
static void put_accounting_row(Walk *w, const Envelope *e) {
    put_envelope_columns(w, e, 0);
    for (int c = C_START; c < C_COUNT; c++) switch (COLUMNS[c].shape) {
        case V_U8: put_byte(col(w, c), 0); break;
        case V_U64: put_le(col(w, c), 0, 8); break;
        case V_STR: put_uvarint(col(w, c), 0); break;
        default: end_array(w, c, 0); break;
        }
}

static inline uint64_t ns(uint64_t t) { return t > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : t; }

static const char *const KINDS[] = {"unspecified", "internal", "server", "client", "producer", "consumer"};
static const char *const STATUSES[] = {"unset", "ok", "error"};
static const Bytes OI_KIND[] = {CSTR("LLM"), CSTR("EMBEDDING"), CSTR("RETRIEVER"), CSTR("TOOL"), CSTR("AGENT"), CSTR("GUARDRAIL"), CSTR("CHAIN"), CSTR("RERANKER"), CSTR("EVALUATOR"), CSTR("PROMPT"), {NULL, 0}};
static const Bytes OI_OPERATION[] = {CSTR("chat"), CSTR("embeddings"), CSTR("retrieval"), CSTR("execute_tool"), CSTR("invoke_agent"), CSTR("run_guardrail"), CSTR("chain"), CSTR("rerank"), CSTR("evaluate"), CSTR("prompt")};
static const Bytes REQUEST_TYPE[] = {CSTR("chat"), CSTR("completion"), CSTR("embedding"), CSTR("rerank"), {NULL, 0}};
static const Bytes REQUEST_OPERATION[] = {CSTR("chat"), CSTR("text_completion"), CSTR("embeddings"), CSTR("rerank")};
static const Bytes TRACELOOP_KIND[] = {CSTR("workflow"), CSTR("task"), CSTR("agent"), CSTR("tool"), {NULL, 0}};
static const Bytes TRACELOOP_OPERATION[] = {CSTR("invoke_workflow"), CSTR("task"), CSTR("invoke_agent"), CSTR("execute_tool")};
static const Bytes PROVIDER_FROM[] = {CSTR("az.ai.inference"), CSTR("az.ai.openai"), CSTR("azure"), CSTR("vertex_ai"), CSTR("vertexai"), CSTR("gemini"), CSTR("google"), CSTR("mistralai"), CSTR("xai"), CSTR("aws"), CSTR("amazon"), CSTR("bedrock"), CSTR("watsonx"), {NULL, 0}};
static const Bytes PROVIDER_TO[] = {CSTR("azure.ai.inference"), CSTR("azure.ai.openai"), CSTR("azure.ai.openai"), CSTR("gcp.vertex_ai"), CSTR("gcp.vertex_ai"), CSTR("gcp.gemini"), CSTR("gcp.gen_ai"), CSTR("mistral_ai"), CSTR("x_ai"), CSTR("aws.bedrock"), CSTR("aws.bedrock"), CSTR("aws.bedrock"), CSTR("ibm.watsonx.ai")};

/* What the spans view derives from the attribute keys (kept after redaction, as sent). */
typedef struct {
    Bytes dialect;
    int legacy_input, has_guardrail;
} Keys;

static Keys read_keys(const Pairs *ps, const size_t *kept, size_t n) {
    unsigned f = 0;
    for (size_t i = 0; i < n; i++) f |= ps->items[kept[i]].flags;
    Keys r = {NONE, !(f & KF_INPUT) && (f & KF_PROMPT), (f & KF_GUARD) != 0};
    r.dialect = f & KF_OI ? CSTR("openinference") : f & KF_OLLM ? CSTR("openllmetry")
              : f & KF_DEPRECATED ? CSTR("otel_genai_deprecated") : f & KF_GENAI ? CSTR("otel_genai") : NONE;
    return r;
}

/* gen_ai.operation.name, or what the other dialects say the span does. */
static Bytes operation_of(Walk *w, Out *tmp, const int32_t *first, int has_guardrail) {
#define SA(k) looked_up(&w->arena, &w->pairs, first, k)
    Bytes v = SA(K_GEN_AI_OPERATION_NAME);
    if (v.len) return v;
    v = SA(K_OPENINFERENCE_SPAN_KIND);
    if (v.len) {
        ascii_case(tmp, v, 1);
        Bytes upper = {tmp->buf + tmp->len - v.len, v.len};
        Bytes mapped = transform(upper, OI_KIND, OI_OPERATION, NONE);
        if (mapped.ptr != NONE.ptr) return mapped;
        ascii_case(tmp, v, 0);
        return (Bytes){tmp->buf + tmp->len - v.len, v.len};
    }
    v = SA(K_LLM_REQUEST_TYPE);
    if (v.len) return transform(v, REQUEST_TYPE, REQUEST_OPERATION, v);
    v = SA(K_TRACELOOP_SPAN_KIND);
    if (v.len) return transform(v, TRACELOOP_KIND, TRACELOOP_OPERATION, v);
    return has_guardrail ? CSTR("run_guardrail") : NONE;
}

static int put_span(Walk *w, const Envelope *e, const Resource *res, Bytes scope_name, Bytes scope_version, Msg m) {
    Span s;
    memset(&s, 0, sizeof s);
    s.trace_id = s.span_id = s.trace_state = s.parent_span_id = s.name = s.status_message = NONE;
    w->pairs.n = w->event_pairs.n = w->events.n = w->links.n = w->kept.n = w->order.n = 0;
    w->arena.len = w->tmp.len = 0;
    Field f;
    int r, bad = 0;
    while ((r = next_field(&m, &f)) == 1) {
        switch (f.number) {
        case 1: bad = bytes_field(&f, &s.trace_id); break;
        case 2: bad = bytes_field(&f, &s.span_id); break;
        case 3: bad = bytes_field(&f, &s.trace_state); break;
        case 4: bad = bytes_field(&f, &s.parent_span_id); break;
        case 5: bad = bytes_field(&f, &s.name); break;
        case 6: EXPECT(f, 0); s.kind = (int32_t)f.num; break;
        case 7: EXPECT(f, 1); s.start = f.num; break;
        case 8: EXPECT(f, 1); s.end = f.num; break;
        case 9: bad = add_pair(&w->pairs, &f); break;
        case 11: bad = read_event(w, &f) < 0; break;
        case 13: bad = read_link(w, &f) < 0; break;
        case 15: EXPECT(f, 2); bad = read_status(sub(&f), &s) < 0; break;
        default: break;
        }
        if (bad) return -1;
    }
    if (r < 0) return -1;
    /* Attributes: rendered, content dropped unless the project keeps or hashes it, then the stored map's
     * order: names already current first, renamed ones after (a lookup takes the first match, so a
     * current name wins over a deprecated one). */
    if (render_pairs(w, &w->arena, &w->pairs, e, 1)) return -1;
    for (size_t i = 0; i < w->pairs.n; i++)
        if (e->redaction != 0 || !w->pairs.items[i].content) {
            size_t *k = PUSH(w->kept);
            if (!k) return -1;
            *k = i;
        }
    for (int renamed = 0; renamed < 2; renamed++)
        for (size_t i = 0; i < w->kept.n; i++) {
            const Pair *p = &w->pairs.items[w->kept.items[i]];
            if ((p->name.ptr != p->key.ptr) == renamed) {
                size_t *k = PUSH(w->order);
                if (!k) return -1;
                *k = w->kept.items[i];
            }
        }
    if (render_pairs(w, &w->arena, &w->event_pairs, e, 0)) return -1;
    if (w->arena.oom || w->tmp.oom || w->scratch2.oom) return -2;
    size_t *order = w->order.items, n = w->order.n;
    int32_t first[K_COUNT];
    index_pairs(&w->pairs, order, n, first);
    Keys keys = read_keys(&w->pairs, w->kept.items, w->kept.n);
    /* tmp holds derived text; reserve up front so the views into it stay valid */
    if (reserve(&w->tmp, 3 * (w->arena.len + 64))) return -2;
    Bytes provider_raw = first_of(SA(K_GEN_AI_PROVIDER_NAME), first_of(SA(K_LLM_PROVIDER), SA(K_LLM_SYSTEM)));
    ascii_case(&w->tmp, provider_raw, 0);
    provider_raw = (Bytes){w->tmp.buf + w->tmp.len - provider_raw.len, provider_raw.len};
    Bytes provider = transform(provider_raw, PROVIDER_FROM, PROVIDER_TO, provider_raw);
    Bytes operation = operation_of(w, &w->tmp, first, keys.has_guardrail);
    Bytes error_type = first_of(SA(K_ERROR_TYPE), SA(K_EXCEPTION_TYPE));
    Bytes request_model = SA(K_GEN_AI_REQUEST_MODEL);
    Bytes response_model = SA(K_GEN_AI_RESPONSE_MODEL);
    if (!request_model.len && EQ(keys.dialect, "openinference")) request_model = response_model;
    Bytes host = first_of(SA(K_HOST_NAME), first_of(s.kind == 3 ? SA(K_SERVER_ADDRESS) : NONE, res->host));
    int renamed = !(provider.len == SA(K_GEN_AI_PROVIDER_NAME).len &&
                    memcmp(provider.ptr, SA(K_GEN_AI_PROVIDER_NAME).ptr, provider.len) == 0) ||
                  !(operation.len == SA(K_GEN_AI_OPERATION_NAME).len &&
                    memcmp(operation.ptr, SA(K_GEN_AI_OPERATION_NAME).ptr, operation.len) == 0);

    put_envelope_columns(w, e, 1);
    uint64_t end = s.end > s.start ? s.end : s.start;
    put_le(col(w, C_START), ns(s.start), 8);
    put_le(col(w, C_END), ns(end), 8);
    put_le(col(w, C_DURATION), end - s.start, 8);
    put_bytes(col(w, C_TRACE_ID), s.trace_id);
    put_bytes(col(w, C_SPAN_ID), s.span_id);
    put_bytes(col(w, C_PARENT_SPAN_ID), s.parent_span_id);
    put_bytes(col(w, C_TRACE_STATE), s.trace_state);
    put_bytes(col(w, C_NAME), s.name);
    const char *kind = s.kind >= 0 && s.kind <= 5 ? KINDS[s.kind] : KINDS[0];
    put_str(col(w, C_KIND), (const uint8_t *)kind, strlen(kind));
    const char *status = s.status_code >= 0 && s.status_code <= 2 ? STATUSES[s.status_code] : STATUSES[0];
    put_str(col(w, C_STATUS_CODE), (const uint8_t *)status, strlen(status));
    put_bytes(col(w, C_STATUS_MESSAGE), s.status_message);
    put_byte(col(w, C_STATUS_ERROR), s.status_code == 2);
    put_bytes(col(w, C_SERVICE_NAME), res->service.len ? res->service : CSTR("unknown_service"));
    put_bytes(col(w, C_SCOPE_NAME), scope_name);
    put_bytes(col(w, C_SCOPE_VERSION), scope_version);
    put_bytes(col(w, C_DIALECT), keys.dialect);
    put_bytes(col(w, C_OPERATION), operation);
    put_bytes(col(w, C_PROVIDER), provider);
    put_byte(col(w, C_ANTHROPIC), EQ(provider_raw, "anthropic"));
    put_byte(col(w, C_LEGACY_INPUT), (uint8_t)keys.legacy_input);
    put_bytes(col(w, C_REQUEST_MODEL), request_model);
    put_bytes(col(w, C_RESPONSE_MODEL), response_model);
    put_bytes(col(w, C_INPUT_TOKENS), SA(K_GEN_AI_USAGE_INPUT_TOKENS));
    put_bytes(col(w, C_OUTPUT_TOKENS), SA(K_GEN_AI_USAGE_OUTPUT_TOKENS));
    put_bytes(col(w, C_CACHE_READ_TOKENS), SA(K_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS));
    put_bytes(col(w, C_CACHE_WRITE_TOKENS), SA(K_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS));
    put_bytes(col(w, C_REASONING_TOKENS), SA(K_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS));
    put_bytes(col(w, C_TTFT), SA(K_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK));
    put_bytes(col(w, C_FINISH_REASONS), SA(K_GEN_AI_RESPONSE_FINISH_REASONS));
    put_bytes(col(w, C_ERROR_TYPE), error_type);
    put_bytes(col(w, C_TENANT), first_of(SA(K_TENANT_ID), first_of(SA(K_INFEROPS_TENANT), first_of(SA(K_TENANT), res->tenant))));
    put_bytes(col(w, C_ENDPOINT), first_of(SA(K_INFEROPS_ENDPOINT), first_of(SA(K_HTTP_ROUTE), first_of(SA(K_URL_TEMPLATE),
                                                                                      first_of(SA(K_RPC_METHOD), res->endpoint)))));
    put_bytes(col(w, C_HOST), host);
    put_bytes(col(w, C_GPU_ID), first_of(SA(K_GPU_ID), first_of(SA(K_GPU_UUID), first_of(SA(K_HW_ID), res->gpu))));
    put_bytes(col(w, C_AGENT_NAME), SA(K_GEN_AI_AGENT_NAME));
    put_bytes(col(w, C_TOOL_NAME), SA(K_GEN_AI_TOOL_NAME));
    put_bytes(col(w, C_CONVERSATION_ID), first_of(SA(K_GEN_AI_CONVERSATION_ID), SA(K_SESSION_ID)));
    put_byte(col(w, C_RENAMED), (uint8_t)renamed);
#undef SA
    put(col(w, C_RESOURCE_KEYS), w->resource_keys.buf, w->resource_keys.len);
    end_array(w, C_RESOURCE_KEYS, w->resource_n);
    put(col(w, C_RESOURCE_VALUES), w->resource_values.buf, w->resource_values.len);
    end_array(w, C_RESOURCE_VALUES, w->resource_n);
    put_map(col(w, C_ATTRIBUTE_KEYS), col(w, C_ATTRIBUTE_VALUES), &w->arena, &w->pairs, order, n, 1);
    end_array(w, C_ATTRIBUTE_KEYS, n);
    end_array(w, C_ATTRIBUTE_VALUES, n);
    size_t events = w->events.n;
    Event *ev = w->events.items;
    for (size_t i = 0; i < events; i++) put_le(col(w, C_EVENT_TIMES), ns(ev[i].time), 8);
    end_array(w, C_EVENT_TIMES, events);
    for (size_t i = 0; i < events; i++) put_bytes(col(w, C_EVENT_NAMES), ev[i].name);
    end_array(w, C_EVENT_NAMES, events);
    /* each event's attributes kept after redaction, as two nested columns */
    for (int c = C_EVENT_KEYS; c <= C_EVENT_VALUES; c++) {
        for (size_t i = 0; i < events; i++) {
            size_t kept = 0;
            for (size_t j = ev[i].from; j < ev[i].to; j++) {
                const Pair *p = &w->event_pairs.items[j];
                if (e->redaction == 0 && p->content) continue;
                put_bytes(col(w, c), c == C_EVENT_KEYS ? p->key : value_of(&w->arena, p));
                kept++;
            }
            end_inner_array(w, c, kept);
        }
        end_array(w, c, events);
    }
    for (size_t i = 0; i < w->links.n; i++) put_bytes(col(w, C_LINK_TRACE_IDS), w->links.items[i].trace_id);
    end_array(w, C_LINK_TRACE_IDS, w->links.n);
    for (size_t i = 0; i < w->links.n; i++) put_bytes(col(w, C_LINK_SPAN_IDS), w->links.items[i].span_id);
    end_array(w, C_LINK_SPAN_IDS, w->links.n);
    return 0;
}

static int read_scope(Msg m, Bytes *name, Bytes *version) {
    Field f;
    int r;
    while ((r = next_field(&m, &f)) == 1) {
        if (f.number == 1) bytes_field(&f, name);
        if (f.number == 2) bytes_field(&f, version);
    }
    return r;
}

static int put_scope_spans(Walk *w, const Envelope *e, const Resource *res, Msg m) {
    Bytes name = NONE, version = NONE;
    Field f;
    int r;
    Msg first = m;
    while ((r = next_field(&m, &f)) == 1) /* the scope may follow its spans on the wire */
        if (f.number == 1) {
            EXPECT(f, 2);
            if (read_scope(sub(&f), &name, &version) < 0) return -1;
        }
    if (r < 0) return -1;
    m = first;
    while ((r = next_field(&m, &f)) == 1)
        if (f.number == 2) {
            EXPECT(f, 2);
            int done = put_span(w, e, res, name, version, sub(&f));
            if (done) return done;
        }
    return r;
}

/* The resource's attributes kept after redaction, rendered once into the elements of its two array
 * columns (each span copies them), and the values spans read from them. */
static int read_resource(Walk *w, const Envelope *e, Msg m, Resource *res) {
    Field f, g;
    int r, s;
    w->resource_pairs.n = 0;
    w->res_arena.len = 0;
    while ((r = next_field(&m, &f)) == 1) {
        if (f.number != 1) continue;
        EXPECT(f, 2);
        Msg attrs = sub(&f);
        while ((s = next_field(&attrs, &g)) == 1)
            if (g.number == 1 && add_pair(&w->resource_pairs, &g)) return -1;
        if (s < 0) return -1;
    }
    if (r < 0) return -1;
    Pairs *ps = &w->resource_pairs;
    if (render_pairs(w, &w->res_arena, ps, e, 0)) return -1;
    if (w->res_arena.oom || w->scratch2.oom) return -2;
    size_t kept = 0; /* compact the kept pairs to the front: they are all a span reads */
    for (size_t i = 0; i < ps->n; i++)
        if (e->redaction != 0 || !ps->items[i].content) ps->items[kept++] = ps->items[i];
    ps->n = kept;
    size_t *order = malloc((kept ? kept : 1) * sizeof *order);
    if (!order) return -2;
    for (size_t i = 0; i < kept; i++) order[i] = i;
    int32_t first[K_COUNT];
    index_pairs(ps, order, kept, first);
#define RA(k) looked_up(&w->res_arena, ps, first, k)
    res->service = RA(K_SERVICE_NAME);
    res->tenant = first_of(RA(K_TENANT_ID), first_of(RA(K_INFEROPS_TENANT), RA(K_TENANT)));
    res->endpoint = RA(K_INFEROPS_ENDPOINT);
    res->host = RA(K_HOST_NAME);
    res->gpu = first_of(RA(K_GPU_ID), first_of(RA(K_GPU_UUID), RA(K_HW_ID)));
#undef RA
    w->resource_keys.len = w->resource_values.len = 0;
    put_map(&w->resource_keys, &w->resource_values, &w->res_arena, ps, order, kept, 0);
    w->resource_n = kept;
    free(order);
    return 0;
}

static int put_resource_spans(Walk *w, const Envelope *e, Msg m) {
    Resource res;
    int done = read_resource(w, e, m, &res);
    if (done) return done;
    Field f;
    int r;
    while ((r = next_field(&m, &f)) == 1)
        if (f.number == 2) {
            EXPECT(f, 2);
            done = put_scope_spans(w, e, &res, sub(&f));
            if (done) return done;
        }
    return r;
}

/* One envelope: its own fields (they follow the request; for repeated scalars the last wins), then
 * its accounting row and its spans. */
static int put_envelope(Walk *w, Msg m) {
    Envelope e;
    memset(&e, 0, sizeof e);
    Field f;
    int r;
    Msg request = m;
    while ((r = next_field(&m, &f)) == 1) {
        switch (f.number) {
        case 1001: EXPECT(f, 0); e.project_id = f.num; break;
        case 1002: EXPECT(f, 0); e.received = f.num; break;
        case 1003: EXPECT(f, 0); e.rejected = f.num; break;
        case 1004: EXPECT(f, 0); e.rejected_requests = f.num; break;
        case 1005: EXPECT(f, 0); e.accepted = f.num; break;
        case 1006: EXPECT(f, 0); e.redaction = (uint32_t)f.num; break;
        case 1007: bytes_field(&f, &e.inner); break;
        case 1008: bytes_field(&f, &e.outer); break;
        default: break;
        }
    }
    if (r < 0) return -1;
    put_accounting_row(w, &e);
    m = request;
    while ((r = next_field(&m, &f)) == 1)
        if (f.number == 1 && f.wire == 2) {
            int done = put_resource_spans(w, &e, sub(&f));
            if (done) return done;
        }
    return r;
}

static int put_envelopes(Walk *w, const uint8_t *p, size_t n) {
    const uint8_t *end = p + n;
    while (p < end) {
        uint64_t len;
        if (read_varint(&p, end, &len) || len > (uint64_t)(end - p)) return -1;
        int done = put_envelope(w, (Msg){p, p + len});
        if (done) return done;
        p += len;
    }
    int oom = w->arena.oom || w->res_arena.oom || w->scratch.oom || w->scratch2.oom || w->resource_keys.oom ||
              w->resource_values.oom || w->tmp.oom;
    for (int c = 0; c < C_COUNT; c++)
        oom |= w->columns[c].data.oom || w->columns[c].ends.oom || w->columns[c].inner_ends.oom;
    return oom ? -2 : 0;
}

static void walk_free(Walk *w) {
    free(w->arena.buf), free(w->res_arena.buf), free(w->scratch.buf), free(w->resource_keys.buf);
    free(w->resource_values.buf);
    free(w->tmp.buf), free(w->scratch2.buf), free(w->pairs.items), free(w->event_pairs.items), free(w->resource_pairs.items);
    free(w->kept.items), free(w->order.items), free(w->events.items), free(w->links.items), free(w->facts);
}

/* ---- the request check -------------------------------------------------------------------------- */

/* Whether ingest can accept a protobuf ExportTraceServiceRequest whole without decoding it with upb:
 * every known field of the OTLP schema (opentelemetry-proto 1.x) well-formed with its wire type, every
 * string valid UTF-8, unknown fields well-formed, and every span's ids valid (what ingest/validate.py
 * checks). Anything else - and anything unusual, such as nesting deeper than 32 or unknown groups - is
 * left to upb's decoder and the Python validation, which produce the exact answer and messages. So this
 * may send a valid request the slow way, but never accepts one the slow way would refuse. */

enum { T_NONE, T_VARINT, T_FIXED64, T_FIXED32, T_BYTES, T_STRING, T_MSG };
enum { M_REQUEST, M_RESOURCE_SPANS, M_RESOURCE, M_KEY_VALUE, M_ANY_VALUE, M_ARRAY_VALUE, M_KV_LIST, M_ENTITY_REF,
       M_SCOPE_SPANS, M_SCOPE, M_SPAN, M_EVENT, M_LINK, M_STATUS, M_COUNT };

typedef struct {
    uint8_t type, msg;
} Spec;

#define MAX_FIELD 16
#define F(n, t, m) [n] = {t, m}
static const Spec SCHEMA[M_COUNT][MAX_FIELD + 1] = {
    [M_REQUEST] = {F(1, T_MSG, M_RESOURCE_SPANS)},
    [M_RESOURCE_SPANS] = {F(1, T_MSG, M_RESOURCE), F(2, T_MSG, M_SCOPE_SPANS), F(3, T_STRING, 0)},
    [M_RESOURCE] = {F(1, T_MSG, M_KEY_VALUE), F(2, T_VARINT, 0), F(3, T_MSG, M_ENTITY_REF)},
    [M_KEY_VALUE] = {F(1, T_STRING, 0), F(2, T_MSG, M_ANY_VALUE), F(3, T_VARINT, 0)},
    [M_ANY_VALUE] = {F(1, T_STRING, 0), F(2, T_VARINT, 0), F(3, T_VARINT, 0), F(4, T_FIXED64, 0),
                     F(5, T_MSG, M_ARRAY_VALUE), F(6, T_MSG, M_KV_LIST), F(7, T_BYTES, 0), F(8, T_VARINT, 0)},
    [M_ARRAY_VALUE] = {F(1, T_MSG, M_ANY_VALUE)},
    [M_KV_LIST] = {F(1, T_MSG, M_KEY_VALUE)},
    [M_ENTITY_REF] = {F(1, T_STRING, 0), F(2, T_STRING, 0), F(3, T_STRING, 0), F(4, T_STRING, 0)},
    [M_SCOPE_SPANS] = {F(1, T_MSG, M_SCOPE), F(2, T_MSG, M_SPAN), F(3, T_STRING, 0)},
    [M_SCOPE] = {F(1, T_STRING, 0), F(2, T_STRING, 0), F(3, T_MSG, M_KEY_VALUE), F(4, T_VARINT, 0)},
    [M_SPAN] = {F(1, T_BYTES, 0), F(2, T_BYTES, 0), F(3, T_STRING, 0), F(4, T_BYTES, 0), F(5, T_STRING, 0),
                F(6, T_VARINT, 0), F(7, T_FIXED64, 0), F(8, T_FIXED64, 0), F(9, T_MSG, M_KEY_VALUE),
                F(10, T_VARINT, 0), F(11, T_MSG, M_EVENT), F(12, T_VARINT, 0), F(13, T_MSG, M_LINK),
                F(14, T_VARINT, 0), F(15, T_MSG, M_STATUS), F(16, T_FIXED32, 0)},
    [M_EVENT] = {F(1, T_FIXED64, 0), F(2, T_STRING, 0), F(3, T_MSG, M_KEY_VALUE), F(4, T_VARINT, 0)},
    [M_LINK] = {F(1, T_BYTES, 0), F(2, T_BYTES, 0), F(3, T_STRING, 0), F(4, T_MSG, M_KEY_VALUE), F(5, T_VARINT, 0),
                F(6, T_FIXED32, 0)},
    [M_STATUS] = {F(2, T_STRING, 0), F(3, T_VARINT, 0)},
};
#undef F

static const int WIRE_OF[] = {[T_VARINT] = 0, [T_FIXED64] = 1, [T_FIXED32] = 5, [T_BYTES] = 2, [T_STRING] = 2,
                              [T_MSG] = 2};

/* Strict UTF-8, as upb checks it: no overlong forms, surrogates or code points past U+10FFFF. */
static int utf8_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t v;
            memcpy(&v, s + i, 8);
            if (!(v & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        int follow;
        uint8_t lo = 0x80, hi = 0xBF; /* the range of the first continuation byte */
        if (c >= 0xC2 && c <= 0xDF) follow = 1;
        else if (c == 0xE0) follow = 2, lo = 0xA0;
        else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) follow = 2;
        else if (c == 0xED) follow = 2, hi = 0x9F;
        else if (c == 0xF0) follow = 3, lo = 0x90;
        else if (c >= 0xF1 && c <= 0xF3) follow = 3;
        else if (c == 0xF4) follow = 3, hi = 0x8F;
        else return 0;
        if (i + (size_t)follow >= n) return 0; /* cut short */
        if (s[i + 1] < lo || s[i + 1] > hi) return 0;
        for (int k = 2; k <= follow; k++)
            if ((s[i + k] & 0xC0) != 0x80) return 0;
        i += (size_t)follow + 1;
    }
    return 1;
}

static int all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* 0: fine; -1: leave it to the slow path. Counts spans into *spans. */
static int check_message(int id, Msg m, int depth, uint64_t *spans) {
    if (depth > 32) return -1;
    Field f;
    int r;
    Bytes trace_id = {NULL, 0}, span_id = {NULL, 0}, parent = {NULL, 0};
    while ((r = next_field(&m, &f)) == 1) {
        if (f.wire == 3) return -1; /* an unknown group: upb's call */
        if (f.number > MAX_FIELD || SCHEMA[id][f.number].type == T_NONE) continue; /* unknown, well-formed */
        Spec spec = SCHEMA[id][f.number];
        if (f.wire != WIRE_OF[spec.type]) return -1;
        if (spec.type == T_STRING && !utf8_valid(f.data, f.len)) return -1;
        if (spec.type == T_MSG && check_message(spec.msg, sub(&f), depth + 1, spans)) return -1;
        if (id == M_SPAN && f.number == 1) trace_id = (Bytes){f.data, f.len};
        if (id == M_SPAN && f.number == 2) span_id = (Bytes){f.data, f.len};
        if (id == M_SPAN && f.number == 4) parent = (Bytes){f.data, f.len};
    }
    if (r < 0) return -1;
    if (id == M_SPAN) {
        if (trace_id.len != 16 || all_zero(trace_id.ptr, 16) || span_id.len != 8 || all_zero(span_id.ptr, 8)) return -1;
        if (parent.len != 0 && parent.len != 8) return -1;
        (*spans)++;
    }
    return 0;
}

/* ---- Python ------------------------------------------------------------------------------------- */

/* The columns' buffers are kept per thread and reused: a batch's rows are tens of megabytes, and a fresh
 * allocation of that size is mapped anew and faulted in page by page on every call (a fifth of the
 * walk's time). */
static __thread Column kept[C_COUNT];
static __thread Out names; /* the block's header, then each column's name and type */
static __thread size_t named_at[C_COUNT + 1];

static void put_names(uint64_t rows) {
    names.len = 0;
    put_uvarint(&names, C_COUNT);
    put_uvarint(&names, rows);
    for (int c = 0; c < C_COUNT; c++) {
        named_at[c] = names.len;
        put_str(&names, (const uint8_t *)COLUMNS[c].name, strlen(COLUMNS[c].name));
        put_str(&names, (const uint8_t *)COLUMNS[c].type, strlen(COLUMNS[c].type));
    }
    named_at[C_COUNT] = names.len;
}

static int add_view(PyObject *list, const Out *o, size_t from, size_t to) {
    if (to == from) return 0;
    PyObject *view = PyMemoryView_FromMemory((char *)o->buf + from, (Py_ssize_t)(to - from), PyBUF_READ);
    if (!view) return -1;
    int r = PyList_Append(list, view);
    Py_DECREF(view);
    return r;
}

/* The block as a list of views over this thread's buffers, in order: header, then each column's name,
 * type, array ends and values. */
static PyObject *block_views(void) {
    PyObject *list = PyList_New(0);
    if (!list) return NULL;
    for (int c = 0; c < C_COUNT; c++) {
        Column *k = &kept[c];
        if (add_view(list, &names, c ? named_at[c] : 0, named_at[c + 1]) ||
            add_view(list, &k->ends, 0, k->ends.len) || add_view(list, &k->inner_ends, 0, k->inner_ends.len) ||
            add_view(list, &k->data, 0, k->data.len)) {
            Py_DECREF(list);
            return NULL;
        }
    }
    return list;
}

static PyObject *rows(PyObject *self, PyObject *arg) {
    (void)self;
    /* One buffer, or a list of buffers (a batch's envelopes, not joined first). */
    PyObject *parts = PyList_Check(arg) ? arg : NULL;
    Py_ssize_t n = parts ? PyList_GET_SIZE(parts) : 1;
    Py_buffer *in = PyMem_Calloc((size_t)(n ? n : 1), sizeof *in);
    if (!in) return PyErr_NoMemory();
    Py_ssize_t got = 0;
    for (; got < n; got++)
        if (PyObject_GetBuffer(parts ? PyList_GET_ITEM(parts, got) : arg, &in[got], PyBUF_SIMPLE)) break;
    int r = -3;
    if (got == n) {
        Walk w;
        memset(&w, 0, sizeof w);
        w.columns = kept;
        w.facts = calloc(FACTS_SLOTS, sizeof *w.facts);
        for (int c = 0; c < C_COUNT; c++) {
            Column *k = &kept[c];
            k->data.len = k->ends.len = k->inner_ends.len = 0;
            k->data.oom = k->ends.oom = k->inner_ends.oom = 0;
            k->n = k->inner_n = 0;
        }
        Py_BEGIN_ALLOW_THREADS
        r = 0;
        for (Py_ssize_t i = 0; i < n && r == 0; i++) r = put_envelopes(&w, in[i].buf, (size_t)in[i].len);
        if (r == 0) {
            names.oom = 0;
            put_names(w.rows);
            r = names.oom ? -2 : 0;
        }
        Py_END_ALLOW_THREADS
        walk_free(&w);
    }
    for (Py_ssize_t i = 0; i < got; i++) PyBuffer_Release(&in[i]);
    PyMem_Free(in);
    if (r == -3) return NULL; /* not a buffer: GetBuffer set the error */
    if (r == -2) return PyErr_NoMemory();
    if (r < 0) {
        PyErr_SetString(PyExc_ValueError, "malformed OTLP trace envelope");
        return NULL;
    }
    return block_views();
}

static PyObject *release(PyObject *self, PyObject *unused) {
    (void)self, (void)unused;
    for (int c = 0; c < C_COUNT; c++) {
        free(kept[c].data.buf), free(kept[c].ends.buf), free(kept[c].inner_ends.buf);
        kept[c] = (Column){0};
    }
    free(names.buf);
    names = (Out){0};
    Py_RETURN_NONE;
}

static PyObject *valid_spans(PyObject *self, PyObject *arg) {
    (void)self;
    Py_buffer in;
    if (PyObject_GetBuffer(arg, &in, PyBUF_SIMPLE)) return NULL;
    uint64_t spans = 0;
    int r;
    Py_BEGIN_ALLOW_THREADS
    r = check_message(M_REQUEST, (Msg){in.buf, (const uint8_t *)in.buf + in.len}, 0, &spans);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&in);
    if (r) Py_RETURN_NONE;
    return PyLong_FromUnsignedLongLong(spans);
}

static PyObject *format_double(PyObject *self, PyObject *arg) {
    (void)self;
    double v = PyFloat_AsDouble(arg);
    if (v == -1.0 && PyErr_Occurred()) return NULL;
    Out o = {0};
    put_double(&o, v);
    PyObject *text = o.oom ? PyErr_NoMemory() : PyUnicode_FromStringAndSize((const char *)o.buf, (Py_ssize_t)o.len);
    free(o.buf);
    return text;
}

static PyMethodDef METHODS[] = {
    {"rows", rows, METH_O,
     "rows(envelopes) -> list[memoryview]: length-delimited trace envelopes as one Native block of\n"
     "otlp_spans_rows, in pieces to write in order. The views are over this thread's buffers: use them\n"
     "before this thread calls rows() again."},
    {"release", release, METH_NOARGS, "release(): free this thread's rows buffers."},
    {"valid_spans", valid_spans, METH_O,
     "valid_spans(request) -> int | None: the spans of a protobuf ExportTraceServiceRequest that ingest can\n"
     "accept whole, or None to decode and validate it the slow way (upb and ingest/validate.py)."},
    {"format_double", format_double, METH_O, "format_double(x) -> str: a Float64 as ClickHouse prints it."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_spanrows", NULL, -1, METHODS, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__spanrows(void) {
    index_names();
    names_index(&CONTENT_HEADS), names_index(&CONTENT_NAMES), names_index(&OLD_NAMES);
    return PyModule_Create(&MODULE);
}
