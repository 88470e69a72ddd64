// SPDX-License-Identifier: GPL-2.0-or-later
#include "dns64/dns_message.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace colatrl {

namespace {

constexpr uint16_t kTypeAaaa = 28;
constexpr uint16_t kTypeSoa = 6;
constexpr uint16_t kClassIn = 1;

void put16(std::vector<uint8_t>& v, uint16_t x) {
    v.push_back(static_cast<uint8_t>(x >> 8));
    v.push_back(static_cast<uint8_t>(x));
}

struct Reader {
    std::span<const uint8_t> m;
    size_t pos = 0;
    bool ok = true;

    uint16_t u16() {
        if (pos + 2 > m.size()) {
            ok = false;
            return 0;
        }
        auto v = static_cast<uint16_t>((m[pos] << 8) | m[pos + 1]);
        pos += 2;
        return v;
    }
    uint32_t u32() {
        uint32_t hi = u16();
        uint32_t lo = u16();
        return (hi << 16) | lo;
    }
    // Reads a (possibly compressed) name at `at`, lower-cased, dotted.
    // Returns the position after the name in the original sequence.
    std::optional<std::string> name_at(size_t at, size_t& after) const {
        std::string out;
        size_t p = at;
        bool jumped = false;
        int hops = 0;
        while (true) {
            if (p >= m.size()) {
                return std::nullopt;
            }
            const uint8_t len = m[p];
            if ((len & 0xc0) == 0xc0) {
                if (p + 1 >= m.size() || ++hops > 16) {
                    return std::nullopt;
                }
                if (!jumped) {
                    after = p + 2;
                }
                jumped = true;
                p = static_cast<size_t>(((len & 0x3f) << 8) | m[p + 1]);
                continue;
            }
            if ((len & 0xc0) != 0) {
                return std::nullopt;
            }
            if (len == 0) {
                if (!jumped) {
                    after = p + 1;
                }
                return out;
            }
            if (p + 1 + len > m.size() || out.size() + len > 255) {
                return std::nullopt;
            }
            if (!out.empty()) {
                out += '.';
            }
            for (size_t i = 0; i < len; ++i) {
                out += static_cast<char>(std::tolower(m[p + 1 + i]));
            }
            p += 1 + len;
        }
    }
    std::optional<std::string> name() {
        size_t after = 0;
        auto n = name_at(pos, after);
        if (!n) {
            ok = false;
            return std::nullopt;
        }
        pos = after;
        return n;
    }
};

std::string lower(std::string_view s) {
    std::string o(s);
    std::transform(o.begin(), o.end(), o.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!o.empty() && o.back() == '.') {
        o.pop_back();
    }
    return o;
}

} // namespace

std::vector<uint8_t> build_aaaa_query(uint16_t id, std::string_view name) {
    std::vector<uint8_t> q;
    put16(q, id);
    put16(q, 0x0100); // RD=1; CD=0 so that a DNS64 synthesises (RFC 7050 §3)
    put16(q, 1);      // QDCOUNT
    put16(q, 0);
    put16(q, 0);
    put16(q, 0);
    size_t start = 0;
    while (start < name.size()) {
        size_t dot = name.find('.', start);
        if (dot == std::string_view::npos) {
            dot = name.size();
        }
        const size_t len = std::min<size_t>(dot - start, 63);
        q.push_back(static_cast<uint8_t>(len));
        q.insert(q.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
                 name.begin() + static_cast<std::ptrdiff_t>(start + len));
        start = dot + 1;
    }
    q.push_back(0);
    put16(q, kTypeAaaa);
    put16(q, kClassIn);
    return q;
}

Result<DnsAaaaAnswer> parse_aaaa_response(std::span<const uint8_t> msg, uint16_t id,
                                          std::string_view name) {
    Reader r{msg};
    const uint16_t got_id = r.u16();
    const uint16_t flags = r.u16();
    const uint16_t qd = r.u16();
    const uint16_t an = r.u16();
    const uint16_t ns = r.u16();
    r.u16(); // ARCOUNT: additional records are not needed
    if (!r.ok) {
        return make_error(Errc::parse, "DNS response shorter than its header");
    }
    if (got_id != id || (flags & 0x8000) == 0) {
        return make_error(Errc::parse, "not a response to our query");
    }
    if ((flags & 0x0200) != 0) {
        return make_error(Errc::parse, "DNS response truncated");
    }
    if (qd != 1) {
        return make_error(Errc::parse, "DNS response without our question");
    }
    auto qname = r.name();
    const uint16_t qtype = r.u16();
    const uint16_t qclass = r.u16();
    if (!r.ok || !qname || *qname != lower(name) || qtype != kTypeAaaa || qclass != kClassIn) {
        return make_error(Errc::parse, "DNS response to another question");
    }
    DnsAaaaAnswer out;
    out.rcode = static_cast<uint8_t>(flags & 0x0f);
    bool have_ttl = false;
    for (unsigned i = 0; i < unsigned{an} + ns && r.ok; ++i) {
        auto owner = r.name();
        const uint16_t type = r.u16();
        const uint16_t cls = r.u16();
        const uint32_t ttl = r.u32();
        const uint16_t rdlen = r.u16();
        if (!r.ok || r.pos + rdlen > msg.size()) {
            return make_error(Errc::parse, "DNS record runs past the message");
        }
        const size_t rdata = r.pos;
        r.pos += rdlen;
        if (cls != kClassIn) {
            continue;
        }
        if (i < an && type == kTypeAaaa && rdlen == 16) {
            // CNAME chains are followed by the resolver; every AAAA in the
            // answer section belongs to the name asked for.
            Ipv6Addr a;
            std::copy_n(msg.begin() + static_cast<std::ptrdiff_t>(rdata), 16, a.bytes.begin());
            out.aaaa.push_back(a);
            out.ttl = have_ttl ? std::min(out.ttl, ttl) : ttl;
            have_ttl = true;
        } else if (i >= an && type == kTypeSoa) {
            // MNAME, RNAME, then SERIAL REFRESH RETRY EXPIRE MINIMUM.
            Reader s{msg, rdata};
            s.name();
            s.name();
            for (int k = 0; k < 4; ++k) {
                s.u32();
            }
            const uint32_t minimum = s.u32();
            if (s.ok && s.pos <= rdata + rdlen) {
                out.negative_ttl = std::min(ttl, minimum);
            }
        }
        (void)owner;
    }
    if (!r.ok) {
        return make_error(Errc::parse, "malformed DNS record");
    }
    return out;
}

} // namespace colatrl
