#pragma once
// Strongly typed identifiers and the injected clock's time type.
// Time comes only from events (DESIGN principle 2): there is no call to a wall clock anywhere
// in the engine; a Timestamp is integer nanoseconds since the Unix epoch, UTC.

#include <compare>
#include <cstdint>
#include <functional>

namespace ballast {

template <typename Tag, typename Int>
struct Id {
  Int value = 0;
  friend constexpr auto operator<=>(Id, Id) = default;
};

using AssetId = Id<struct AssetIdTag, std::uint32_t>;
using InstrumentId = Id<struct InstrumentIdTag, std::uint32_t>;
using AccountId = Id<struct AccountIdTag, std::uint64_t>;
using SubAccountId = Id<struct SubAccountIdTag, std::uint64_t>;
// The client's idempotency key: a retry carries the same one (TigerBeetle's reliable submission).
using EventId = Id<struct EventIdTag, std::uint64_t>;
// Position in the durable log, assigned by the store: 1, 2, 3, ...
using Seq = std::uint64_t;

using TimestampNs = std::int64_t;

// Ids below this belong to the system accounts (insurance fund, fee pool, treasury, ...).
inline constexpr std::uint64_t kFirstUserId = 16;

}  // namespace ballast

template <typename Tag, typename Int>
struct std::hash<ballast::Id<Tag, Int>> {
  std::size_t operator()(ballast::Id<Tag, Int> id) const noexcept {
    return std::hash<Int>{}(id.value);
  }
};
