#include "tunlab/scenario/safe_text.hpp"

#include <fmt/format.h>

#include "tunlab/scenario/input_error.hpp"

namespace tunlab {

namespace {

bool is_continuation(unsigned char c) {
  return (c & 0xc0) == 0x80;
}

// Length of the valid UTF-8 sequence at text[i] (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF), or 0.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const std::size_t left = text.size() - i;
  if (c < 0x80) {
    return 1;
  }
  if (c >= 0xc2 && c <= 0xdf) {
    return left >= 2 && is_continuation(at(1)) ? 2 : 0;
  }
  if (c >= 0xe0 && c <= 0xef) {
    if (left < 3 || !is_continuation(at(1)) || !is_continuation(at(2))) {
      return 0;
    }
    if ((c == 0xe0 && at(1) < 0xa0) || (c == 0xed && at(1) >= 0xa0)) {
      return 0;
    }
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (left < 4 || !is_continuation(at(1)) || !is_continuation(at(2)) || !is_continuation(at(3))) {
      return 0;
    }
    if ((c == 0xf0 && at(1) < 0x90) || (c == 0xf4 && at(1) >= 0x90)) {
      return 0;
    }
    return 4;
  }
  return 0;
}

std::string hex_byte(unsigned char c) {
  return fmt::format("\\x{:02x}", c);
}

}  // namespace

namespace safe_text {

bool valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence(text, i);
    if (length == 0) {
      return false;
    }
    i += length;
  }
  return true;
}

std::string terminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c == '\n' || c == '\t' || c == '\r') {
      out += c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r";
      ++i;
      continue;
    }
    const std::size_t length = c >= 0x80 ? utf8_sequence(text, i) : 0;
    // C1 controls (U+0080..U+009F, encoded c2 80..c2 9f) move terminals as ESC does.
    if (length > 0 && !(c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0)) {
      out.append(text.substr(i, length));
      i += length;
      continue;
    }
    out += hex_byte(c);
    ++i;
  }
  return out;
}

std::string json(std::string_view text) {
  if (valid_utf8(text)) {
    return std::string(text);
  }
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence(text, i);
    if (length == 0) {
      out += hex_byte(static_cast<unsigned char>(text[i]));
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::string markup(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '&':
        out += "&amp;";
        ++i;
        continue;
      case '<':
        out += "&lt;";
        ++i;
        continue;
      case '>':
        out += "&gt;";
        ++i;
        continue;
      case '"':
        out += "&quot;";
        ++i;
        continue;
      case '\'':
        out += "&apos;";
        ++i;
        continue;
      default:
        break;
    }
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      out += hex_byte(c);
      ++i;
      continue;
    }
    const std::size_t length = utf8_sequence(text, i);
    if (length == 0) {
      out += hex_byte(c);
      ++i;
      continue;
    }
    // U+FFFE and U+FFFF (ef bf be, ef bf bf) are not XML characters.
    if (length == 3 && c == 0xef && static_cast<unsigned char>(text[i + 1]) == 0xbf &&
        static_cast<unsigned char>(text[i + 2]) >= 0xbe) {
      out += static_cast<unsigned char>(text[i + 2]) == 0xbe ? "\\uFFFE" : "\\uFFFF";
      i += 3;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

std::string script(std::string_view json_text) {
  std::string out;
  out.reserve(json_text.size());
  for (std::size_t i = 0; i < json_text.size(); ++i) {
    const char c = json_text[i];
    // In JSON, < > & only occur inside strings, where \u escapes mean the same characters.
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace safe_text

std::string printable_line(std::string_view text) {
  return safe_text::terminal(text);
}

}  // namespace tunlab
