#pragma once
// Errors as values at module boundaries: a small std::expected stand-in (GCC 12 has no <expected>).
#include <string>
#include <utility>
#include <variant>

namespace cpx {

struct Error {
  std::string code;  // machine-readable reason, e.g. "bad_symbol"
  std::string text;  // one sentence for a person
};

template <class T, class E = Error>
class Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(implicit)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

inline Error make_error(std::string code, std::string text) { return Error{std::move(code), std::move(text)}; }

}  // namespace cpx
