// The one text sanitiser of every human-facing output: whatever a scenario, a file name or a
// command line put into a string, each format gets it by one rule of its own.
//
//   terminal  one printable line: valid UTF-8 kept; C0 and C1 controls, DEL and every byte of an
//             invalid UTF-8 sequence written as \n, \t, \r or \xNN. No escape sequence, carriage
//             return or newline reaches a terminal (InputError's what() is this).
//   json      valid UTF-8, which is all a JSON encoder needs (it escapes controls itself): every
//             byte of an invalid UTF-8 sequence written as the text \xNN.
//   markup    XML 1.0 text and attribute values (JUnit, HTML): & < > " ' as entities; what XML
//             cannot carry at all (C0 controls other than tab, newline and carriage return,
//             U+FFFE, U+FFFF, invalid UTF-8) written as the text \xNN or \uFFFE.
//   script    JSON text embedded in an HTML <script> element: < > & written \u003c \u003e \u0026
//             (the same JSON to a parser), so no "</script", "<!--" or "<script" can appear in it.
#pragma once

#include <string>
#include <string_view>

namespace tunlab::safe_text {

std::string terminal(std::string_view text);
std::string json(std::string_view text);
std::string markup(std::string_view text);
std::string script(std::string_view json_text);

// True when `text` is valid UTF-8 (RFC 3629).
bool valid_utf8(std::string_view text);

// Every string (and key) of a nlohmann JSON value through json(), in place.
template <class Json>
void repair_strings(Json& value) {
  if (value.is_string()) {
    value = json(value.template get_ref<const std::string&>());
  } else if (value.is_array()) {
    for (auto& item : value) {
      repair_strings(item);
    }
  } else if (value.is_object()) {
    Json repaired = Json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      Json item = it.value();
      repair_strings(item);
      repaired[json(it.key())] = std::move(item);
    }
    value = std::move(repaired);
  }
}

// `value` dumped as JSON (indent as nlohmann's dump()), its strings by the json rule: a value
// holding text that is not UTF-8 is dumped, not thrown on.
template <class Json>
std::string dump_json(const Json& value, int indent = -1) {
  try {
    return value.dump(indent);
  } catch (const typename Json::type_error&) {
    Json copy = value;
    repair_strings(copy);
    return copy.dump(indent);
  }
}

}  // namespace tunlab::safe_text
