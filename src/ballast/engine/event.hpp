#pragma once
// Input events: the only way state changes (DESIGN 4.5). Every event carries the client's
// idempotency id and the time it happened; the engine's clock is the latest applied timestamp.
// The set of kinds is closed (a std::variant): adding one is a deliberate change to the codec,
// the engine and the log format together.

#include <cstdint>
#include <string>
#include <variant>

#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/ledger/ledger.hpp"

namespace ballast {

struct ListAsset {
  AssetId asset;
  std::string symbol;
  std::uint8_t decimals = 0;
  std::uint8_t flags = kAssetFlagsAll;
  friend bool operator==(const ListAsset&, const ListAsset&) = default;
};

struct SetAssetFlags {
  AssetId asset;
  std::uint8_t flags = 0;
  friend bool operator==(const SetAssetFlags&, const SetAssetFlags&) = default;
};

struct CreateAccount {
  AccountId account;
  friend bool operator==(const CreateAccount&, const CreateAccount&) = default;
};

struct CreateSubAccount {
  AccountId account;
  SubAccountId sub_account;
  MarginMode mode = MarginMode::cross;
  friend bool operator==(const CreateSubAccount&, const CreateSubAccount&) = default;
};

// Amounts are in the asset's smallest unit; signed in the event so that a negative amount can be
// said (and rejected with amount_negative) rather than silently wrapped.
struct Deposit {
  AccountId account;
  SubAccountId sub_account;
  AssetId asset;
  Amount amount;
  friend bool operator==(const Deposit&, const Deposit&) = default;
};

struct Withdraw {
  AccountId account;
  SubAccountId sub_account;
  AssetId asset;
  Amount amount;
  friend bool operator==(const Withdraw&, const Withdraw&) = default;
};

// Between two sub-accounts of the same owner.
struct Transfer {
  AccountId account;
  SubAccountId from;
  SubAccountId to;
  AssetId asset;
  Amount amount;
  friend bool operator==(const Transfer&, const Transfer&) = default;
};

// An asset's oracle reading as the venue's aggregator published it: the price (1e-9 quote per
// unit) and the stable price initial margin uses (reference_price.hpp). A first cut: the
// aggregated reading arrives as the event; aggregation from source quotes (market/oracle.hpp)
// inside the engine can come later. Both must be positive (price_invalid).
struct OraclePrice {
  AssetId asset;
  Price price;
  Price stable_price;
  friend bool operator==(const OraclePrice&, const OraclePrice&) = default;
};

// An instrument's mark (per unit of the underlying). Negative is price_invalid; zero is allowed
// for options only (a far out-of-the-money option is worth nothing).
struct MarkPrice {
  InstrumentId instrument;
  Price mark;
  friend bool operator==(const MarkPrice&, const MarkPrice&) = default;
};

// One side of a trade an external matcher made: size > 0 buys, < 0 sells (contracts, raw
// Quantity), at price per unit of the underlying, paying fee (quote money, >= 0; rebates are
// not fills). Each side of a matched trade is its own event.
struct Fill {
  AccountId account;
  SubAccountId sub_account;
  InstrumentId instrument;
  Quantity size;
  Price price;
  Money fee;
  friend bool operator==(const Fill&, const Fill&) = default;
};

// The alternative's index is its kind number in the binary codec: append only.
using EventBody = std::variant<ListAsset, SetAssetFlags, CreateAccount, CreateSubAccount, Deposit,
                               Withdraw, Transfer, OraclePrice, MarkPrice, Fill>;

struct Event {
  EventId id;
  TimestampNs timestamp_ns = 0;
  EventBody body;
  friend bool operator==(const Event&, const Event&) = default;
};

// "deposit", "list_asset", ...: the name in JSON and in messages.
const char* event_kind_name(const EventBody& body) noexcept;

}  // namespace ballast
