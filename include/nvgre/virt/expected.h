// Expected<T, E>: a value or a typed error (an enum the caller can count), for the virt layer.
//
//   Expected<EncapResult, EncapError> r = Encapsulate(inner, config, out, next_ipv4_id);
//   if (!r) { ++stats.encap_errors[Index(r.error())]; return; }
//   Send(out.first(r->frame_length));
//
//   return Unexpected{EncapError::kReservedVsid};      // inside a function returning Expected
//
// The wire layer's Result<T> carries a ParseFailure (what, which layer, which byte); the virt
// layer's errors are drop and refusal reasons, one enum per operation, so that every one of
// them has its own counter (VirtStats). Like wire::Result this is a small stand-in for C++23
// std::expected: no exceptions, no allocation; value() on an error is a programmer error.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>

namespace nvgre::virt {

template <class E>
struct Unexpected {
  E error;
};
template <class E>
Unexpected(E) -> Unexpected<E>;

template <class T, class E>
class [[nodiscard]] Expected {
  static_assert(std::is_default_constructible_v<T> && std::is_default_constructible_v<E>);

 public:
  constexpr Expected(const T& v) : value_(v), ok_(true) {}          // NOLINT: implicit
  constexpr Expected(Unexpected<E> u) : error_(u.error), ok_(false) {}  // NOLINT: implicit

  constexpr bool has_value() const { return ok_; }
  constexpr explicit operator bool() const { return ok_; }

  // Preconditions: has_value() for the value accessors, !has_value() for error().
  constexpr const T& value() const { assert(ok_); return value_; }
  constexpr T& value() { assert(ok_); return value_; }
  constexpr const T& operator*() const { return value(); }
  constexpr T& operator*() { return value(); }
  constexpr const T* operator->() const { return &value(); }
  constexpr T* operator->() { return &value(); }
  constexpr E error() const { assert(!ok_); return error_; }

 private:
  T value_{};
  E error_{};
  bool ok_;
};

}  // namespace nvgre::virt
