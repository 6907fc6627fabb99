#pragma once
// Always-on assertions for invariants (TigerBeetle style): a broken invariant in a ledger is a
// bug that must stop the process, in release builds too. Business rejections are never asserted:
// they are Status values (status.hpp). BALLAST_DASSERT is for checks too costly for release.

namespace ballast {
[[noreturn]] void assert_fail(const char* expression, const char* file, int line) noexcept;
}  // namespace ballast

#define BALLAST_ASSERT(condition)                                                    \
  ((condition) ? static_cast<void>(0)                                                \
               : ::ballast::assert_fail(#condition, __FILE__, __LINE__))

#ifdef NDEBUG
#define BALLAST_DASSERT(condition) static_cast<void>(0)
#else
#define BALLAST_DASSERT(condition) BALLAST_ASSERT(condition)
#endif
