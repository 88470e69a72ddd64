// SPDX-License-Identifier: GPL-2.0-or-later
// A small streaming JSON writer (RFC 8259) for the daemon's Describe() answer
// and colatrlctl's --json output: objects, arrays, strings (escaped), integers
// and booleans, compact, keys in the order written. The caller nests
// correctly; the writer only tracks where commas go.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace colatrl {

class JsonWriter {
public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    // The key of the next value inside an object.
    JsonWriter& key(std::string_view k);
    JsonWriter& value(std::string_view s);
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
    // Any integer type (bool has its own overload).
    template <typename T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) JsonWriter& value(T v) {
        if constexpr (std::is_signed_v<T>) {
            return signed_value(static_cast<int64_t>(v));
        } else {
            return unsigned_value(static_cast<uint64_t>(v));
        }
    }
    JsonWriter& value(bool b);
    JsonWriter& null();

    const std::string& str() const noexcept { return out_; }

private:
    JsonWriter& unsigned_value(uint64_t v);
    JsonWriter& signed_value(int64_t v);
    void before_value();
    std::string out_;
    // One entry per open container: true once it holds an element.
    std::vector<bool> filled_;
    bool after_key_ = false;
};

// s as a JSON string literal with quotes; control characters as \u00XX, and
// bytes that are not valid UTF-8 as U+FFFD so the output always parses.
std::string json_quote(std::string_view s);

} // namespace colatrl
