// Arbitrary bytes through each rule of the text sanitiser (safe_text.hpp), with the rule's promise
// as the oracle: a terminal line holds no control character and is valid UTF-8; JSON text is
// valid UTF-8 and survives a dump and parse unchanged; markup holds no bare < > " ' and no
// character XML 1.0 cannot carry, and every & starts an entity; the script rule keeps < > & out of
// a JSON text without changing what it parses to. fuzz_report drives the writers end to end; this
// target reaches the rules themselves at millions of inputs a minute.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tunlab/scenario/safe_text.hpp"

namespace {

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

bool starts_with_at(std::string_view text, std::size_t at, std::string_view prefix) {
  return text.substr(at, prefix.size()) == prefix;
}

void check_terminal(std::string_view out) {
  check(tunlab::safe_text::valid_utf8(out));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    check(c >= 0x20 && c != 0x7f);
    // C1 controls, U+0080..U+009F, are 0xC2 0x80..0x9F in UTF-8.
    check(!(c == 0xc2 && i + 1 < out.size() && static_cast<unsigned char>(out[i + 1]) <= 0x9f));
  }
}

void check_markup(std::string_view out) {
  check(tunlab::safe_text::valid_utf8(out));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    check(c != '<' && c != '>' && c != '"' && c != '\'');
    check(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
    check(!starts_with_at(out, i, "\xef\xbf\xbe") && !starts_with_at(out, i, "\xef\xbf\xbf"));
    if (c == '&') {
      check(starts_with_at(out, i, "&amp;") || starts_with_at(out, i, "&lt;") || starts_with_at(out, i, "&gt;") ||
            starts_with_at(out, i, "&quot;") || starts_with_at(out, i, "&apos;"));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_terminal(tunlab::safe_text::terminal(text));
  check_markup(tunlab::safe_text::markup(text));

  const std::string repaired = tunlab::safe_text::json(text);
  check(tunlab::safe_text::valid_utf8(repaired));
  check(tunlab::safe_text::valid_utf8(text) == (repaired == text));  // valid text is left alone
  const nlohmann::json value = {{"name", repaired}, {repaired, 1}};
  const std::string dumped = value.dump();  // throws (and the fuzzer reports it) on invalid UTF-8
  check(nlohmann::json::parse(dumped) == value);

  const std::string embedded = tunlab::safe_text::script(dumped);
  check(embedded.find_first_of("<>&") == std::string::npos);
  check(nlohmann::json::parse(embedded) == value);
  return 0;
}
