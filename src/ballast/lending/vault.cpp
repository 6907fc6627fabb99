#include "ballast/lending/vault.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

namespace ballast::lending {
namespace {

// Bumped when the encoded layout changes, so an old snapshot is refused by name, not misread.
constexpr std::uint8_t kFormatVersion = 1;
// Bytes of one encoded position: id, shares, locked, claimable time.
constexpr std::size_t kPositionBytes = 32;
// Price raw per (money raw / share raw): 10^(Price decimals + share decimals − Money decimals).
constexpr int128 kPricePerMoneyPerShare = pow10_i128(Price::kDecimals + VaultShares::kDecimals - Money::kDecimals);

Error invalid(std::string message) { return make_error(ErrorCode::invalid_input, std::move(message)); }

Error corrupt(const ByteReader& in, std::string_view what) {
  return make_error(ErrorCode::corrupt,
                    "vault state at byte " + std::to_string(in.offset()) + ": " + std::string(what));
}

std::optional<Price> price_from_raw(int128 raw) {
  const auto narrow = narrow_i64(raw);
  return narrow ? std::optional<Price>(Price::from_raw(*narrow)) : std::nullopt;
}

struct PositionRecord {
  AccountId lp;
  LpPosition position;
};

// One encoded position; nullopt when the bytes run out.
std::optional<PositionRecord> read_position(ByteReader& in) {
  const auto id = in.u64();
  const auto shares = in.i64();
  const auto locked = in.i64();
  const auto claimable = in.i64();
  if (!id || !shares || !locked || !claimable) {
    return std::nullopt;
  }
  return PositionRecord{AccountId{*id},
                        {VaultShares::from_raw(*shares), VaultShares::from_raw(*locked), *claimable}};
}

// A position encode can have written for a vault with these parameters whose clock is clock_ns:
// shares held, the lock within them, and a lock requested at a time in [0, clock_ns].
bool position_valid(const LpPosition& p, const VaultParams& params, TimestampNs clock_ns) {
  if (p.shares.raw() <= 0 || p.locked.raw() < 0 || p.locked > p.shares) {
    return false;
  }
  if (p.locked.is_zero()) {
    return p.claimable_ns == 0;
  }
  std::int64_t requested_ns = 0;
  return !__builtin_sub_overflow(p.claimable_ns, params.cooldown_ns, &requested_ns) && requested_ns >= 0 &&
         requested_ns <= clock_ns;
}

}  // namespace

const char* vault_status_name(VaultStatus status) noexcept {
  switch (status) {
    case VaultStatus::ok: return "ok";
    case VaultStatus::time_regressed: return "time_regressed";
    case VaultStatus::amount_invalid: return "amount_invalid";
    case VaultStatus::below_min_deposit: return "below_min_deposit";
    case VaultStatus::withdrawals_gated: return "withdrawals_gated";
    case VaultStatus::no_pending_withdrawal: return "no_pending_withdrawal";
    case VaultStatus::withdrawal_pending: return "withdrawal_pending";
    case VaultStatus::insufficient_shares: return "insufficient_shares";
    case VaultStatus::too_many_pending: return "too_many_pending";
    case VaultStatus::cooldown_pending: return "cooldown_pending";
    case VaultStatus::equity_negative: return "equity_negative";
    case VaultStatus::equity_exhausted: return "equity_exhausted";
    case VaultStatus::no_shares_minted: return "no_shares_minted";
    case VaultStatus::overflow: return "overflow";
  }
  return "unknown";
}

Outcome validate(const VaultParams& params) {
  if (params.cooldown_ns < 0) {
    return invalid("vault: cooldown_ns " + std::to_string(params.cooldown_ns) + " is negative");
  }
  if (params.min_deposit.is_negative()) {
    return invalid("vault: min_deposit " + params.min_deposit.to_string() + " is negative");
  }
  if (params.virtual_shares.raw() <= 0) {
    return invalid("vault: virtual_shares " + params.virtual_shares.to_string() + " must be positive");
  }
  if (params.virtual_assets.raw() <= 0) {
    return invalid("vault: virtual_assets " + params.virtual_assets.to_string() + " must be positive");
  }
  if (params.max_pending_withdrawals == 0) {
    return invalid("vault: max_pending_withdrawals must be at least 1");
  }
  return Ok{};
}

Result<LiquidityVault> LiquidityVault::make(VaultParams params, TimestampNs start_ns) {
  if (auto valid = validate(params); !valid) {
    return std::move(valid).error();
  }
  if (start_ns < 0) {
    return invalid("vault: start time " + std::to_string(start_ns) + " is negative");
  }
  return LiquidityVault(params, start_ns);
}

DepositResult LiquidityVault::deposit(AccountId lp, Money amount, Money equity_before, TimestampNs now_ns) {
  if (now_ns < clock_ns_) {
    return {VaultStatus::time_regressed, {}};
  }
  if (amount.raw() <= 0) {
    return {VaultStatus::amount_invalid, {}};
  }
  if (amount < params_.min_deposit) {
    return {VaultStatus::below_min_deposit, {}};
  }
  if (equity_before.is_negative()) {
    return {VaultStatus::equity_negative, {}};
  }
  // amount < 2^63 and S + vs < 2^64: the product fits 128 bits. All terms are >= 0, so the
  // division floors.
  const int128 minted = static_cast<int128>(amount.raw()) *
                        (static_cast<int128>(total_shares_) + params_.virtual_shares.raw()) /
                        (static_cast<int128>(equity_before.raw()) + params_.virtual_assets.raw());
  if (minted == 0) {
    return {VaultStatus::no_shares_minted, {}};
  }
  // The LP's balance is part of the total, so a total in range keeps it in range too.
  const auto total = narrow_i64(total_shares_ + minted);
  if (!total) {
    return {VaultStatus::overflow, {}};
  }
  const auto minted_shares = VaultShares::from_raw(static_cast<std::int64_t>(minted));
  LpPosition& position = positions_[lp];
  position.shares = VaultShares::from_raw(position.shares.raw() + minted_shares.raw());
  total_shares_ = *total;
  clock_ns_ = now_ns;
  return {VaultStatus::ok, minted_shares};
}

VaultStatus LiquidityVault::request_withdrawal(AccountId lp, VaultShares shares, TimestampNs now_ns) {
  if (now_ns < clock_ns_) {
    return VaultStatus::time_regressed;
  }
  if (shares.raw() <= 0) {
    return VaultStatus::amount_invalid;
  }
  const auto found = positions_.find(lp);
  if (found != positions_.end() && !found->second.locked.is_zero()) {
    return VaultStatus::withdrawal_pending;
  }
  // No request pending, so every share held is unlocked.
  if (found == positions_.end() || shares > found->second.shares) {
    return VaultStatus::insufficient_shares;
  }
  if (pending_count_ >= params_.max_pending_withdrawals) {
    return VaultStatus::too_many_pending;
  }
  TimestampNs claimable_ns = 0;
  if (__builtin_add_overflow(now_ns, params_.cooldown_ns, &claimable_ns)) {
    return VaultStatus::overflow;
  }
  found->second.locked = shares;
  found->second.claimable_ns = claimable_ns;
  ++pending_count_;
  clock_ns_ = now_ns;
  return VaultStatus::ok;
}

VaultStatus LiquidityVault::cancel_withdrawal(AccountId lp, TimestampNs now_ns) {
  if (now_ns < clock_ns_) {
    return VaultStatus::time_regressed;
  }
  const auto found = positions_.find(lp);
  if (found == positions_.end() || found->second.locked.is_zero()) {
    return VaultStatus::no_pending_withdrawal;
  }
  found->second.locked = VaultShares{};
  found->second.claimable_ns = 0;
  --pending_count_;
  clock_ns_ = now_ns;
  return VaultStatus::ok;
}

WithdrawResult LiquidityVault::withdraw(AccountId lp, Money equity_now, TimestampNs now_ns) {
  if (now_ns < clock_ns_) {
    return {VaultStatus::time_regressed, {}, {}};
  }
  if (gated_) {
    return {VaultStatus::withdrawals_gated, {}, {}};
  }
  const auto found = positions_.find(lp);
  if (found == positions_.end() || found->second.locked.is_zero()) {
    return {VaultStatus::no_pending_withdrawal, {}, {}};
  }
  if (now_ns < found->second.claimable_ns) {
    return {VaultStatus::cooldown_pending, {}, {}};
  }
  if (equity_now.raw() <= 0) {
    return {VaultStatus::equity_exhausted, {}, {}};
  }
  const VaultShares burned = found->second.locked;
  const Money paid = Money::from_raw(redeem_value(burned.raw(), equity_now));
  total_shares_ -= burned.raw();
  --pending_count_;
  clock_ns_ = now_ns;
  if (burned == found->second.shares) {
    positions_.erase(found);  // only LPs with shares are kept: the state stays canonical
  } else {
    found->second = LpPosition{VaultShares::from_raw(found->second.shares.raw() - burned.raw()), {}, 0};
  }
  return {VaultStatus::ok, burned, paid};
}

std::int64_t LiquidityVault::redeem_value(std::int64_t shares, Money equity) const {
  BALLAST_ASSERT(shares >= 0 && shares <= total_shares_);
  if (equity.raw() <= 0 || shares == 0) {
    return 0;
  }
  // shares < 2^63 and E + va < 2^64: the products fit 128 bits; all terms >= 0, so / floors, and
  // the floor of the smaller quotient is the smaller floor.
  const int128 at_mediant = static_cast<int128>(shares) *
                            (static_cast<int128>(equity.raw()) + params_.virtual_assets.raw()) /
                            (static_cast<int128>(total_shares_) + params_.virtual_shares.raw());
  const int128 pro_rata = static_cast<int128>(shares) * equity.raw() / total_shares_;
  return static_cast<std::int64_t>(std::min(at_mediant, pro_rata));  // <= equity: fits
}

VaultShares LiquidityVault::shares_of(AccountId lp) const {
  const auto found = positions_.find(lp);
  return found == positions_.end() ? VaultShares{} : found->second.shares;
}

VaultShares LiquidityVault::locked_of(AccountId lp) const {
  const auto found = positions_.find(lp);
  return found == positions_.end() ? VaultShares{} : found->second.locked;
}

Money LiquidityVault::value_of(AccountId lp, Money equity) const {
  return Money::from_raw(redeem_value(shares_of(lp).raw(), equity));
}

std::optional<Price> LiquidityVault::share_price(Money equity) const {
  if (equity.is_negative()) {
    return Price{};
  }
  // E < 2^63 and the scale is 10^12 < 2^40: the products fit 128 bits.
  const int128 mediant = (static_cast<int128>(equity.raw()) + params_.virtual_assets.raw()) * kPricePerMoneyPerShare /
                         (static_cast<int128>(total_shares_) + params_.virtual_shares.raw());
  if (total_shares_ == 0) {
    return price_from_raw(mediant);  // what the opening deposit pays
  }
  const int128 pro_rata = static_cast<int128>(equity.raw()) * kPricePerMoneyPerShare / total_shares_;
  return price_from_raw(std::min(mediant, pro_rata));
}

void LiquidityVault::encode(ByteWriter& out) const {
  out.u8(kFormatVersion);
  out.i64(params_.cooldown_ns);
  out.i64(params_.min_deposit.raw());
  out.i64(params_.virtual_shares.raw());
  out.i64(params_.virtual_assets.raw());
  out.u32(params_.max_pending_withdrawals);
  out.i64(clock_ns_);
  out.u8(gated_ ? 1 : 0);
  out.i64(total_shares_);  // redundant with the positions: decode checks the two agree
  out.u64(positions_.size());
  for (const auto& [lp, position] : positions_) {
    out.u64(lp.value);
    out.i64(position.shares.raw());
    out.i64(position.locked.raw());
    out.i64(position.claimable_ns);
  }
}

Result<LiquidityVault> LiquidityVault::decode(ByteReader& in) {
  const auto version = in.u8();
  if (!version || *version != kFormatVersion) {
    return corrupt(in, "unknown format version");
  }
  const auto cooldown = in.i64();
  const auto min_deposit = in.i64();
  const auto virtual_shares = in.i64();
  const auto virtual_assets = in.i64();
  const auto max_pending = in.u32();
  if (!cooldown || !min_deposit || !virtual_shares || !virtual_assets || !max_pending) {
    return corrupt(in, "truncated parameters");
  }
  const VaultParams params{*cooldown, Money::from_raw(*min_deposit), VaultShares::from_raw(*virtual_shares),
                           Money::from_raw(*virtual_assets), *max_pending};
  if (auto valid = validate(params); !valid) {
    return corrupt(in, valid.error().message);
  }
  const auto clock = in.i64();
  const auto gated = in.u8();
  const auto total = in.i64();
  const auto count = in.u64();
  if (!clock || *clock < 0 || !gated || *gated > 1 || !total || !count || *count > in.remaining() / kPositionBytes) {
    return corrupt(in, "bad clock, gate, total or position count");
  }
  LiquidityVault vault(params, *clock);
  vault.gated_ = *gated == 1;
  std::int64_t sum = 0;
  for (std::uint64_t i = 0; i < *count; ++i) {
    const auto record = read_position(in);
    if (!record || !position_valid(record->position, params, *clock) ||
        (!vault.positions_.empty() && record->lp <= vault.positions_.rbegin()->first) ||
        __builtin_add_overflow(sum, record->position.shares.raw(), &sum)) {
      return corrupt(in, "bad position " + std::to_string(i));
    }
    vault.pending_count_ += record->position.locked.is_zero() ? 0U : 1U;
    if (vault.pending_count_ > params.max_pending_withdrawals) {
      return corrupt(in, "more pending withdrawals than max_pending_withdrawals");
    }
    vault.positions_.emplace_hint(vault.positions_.end(), record->lp, record->position);
  }
  if (sum != *total) {
    return corrupt(in, "total shares " + std::to_string(*total) + " but positions hold " + std::to_string(sum));
  }
  vault.total_shares_ = sum;
  return vault;
}

}  // namespace ballast::lending
