// Liquidity vault properties (vault.hpp) over random parameters (offsets from 1 to 10^6 units on
// either side, so both sides of the virtual price are reached) and random sequences of deposits,
// withdrawal requests, cancellations, withdrawals, equity moves (fees up, backstop losses down,
// below zero too), clock steps (backward ones included) and gate flips on a few LPs:
//   - the vault is never over-promised: Σ value_of(lp) ≤ max(equity, 0);
//   - each deposit mints exactly floor(A (S + vs) / (E + va)), each payout is exactly
//     min(floor(s (E + va) / (S + vs)), floor(s E / S)), so at most the pro-rata exact value;
//   - no deposit or withdrawal lowers the redemption price min(mediant, E/S) of those who stay;
//   - a rejection leaves the encoded state unchanged; decode(encode) gives the vault back;
//   - totals and the pending count agree with the positions;
//   - an LP who deposits and withdraws what it minted, with no equity change between, is paid at
//     most the deposit, and (above the virtual price) less than one share unit's worth below it.
// Big integers (boost::multiprecision) so the checks themselves cannot overflow.

#include "ballast/core/testing/pick.hpp"
#include "ballast/lending/vault.hpp"
#include "ballast/lending/testing/big_int.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace ballast::lending {
namespace {

using testing::big;
using testing::cpp_int;

// Five LPs, from the first user id on.
constexpr std::uint64_t kFirstLp = 16;
constexpr std::uint64_t kLpCount = 5;
constexpr TimestampNs kCooldownMaxNs = 3 * 86'400'000'000'000;  // three days
constexpr TimestampNs kStart = 1'700'000'000'000'000'000;

// Mostly large, sometimes a few units, sometimes not positive.
std::int64_t pick_amount(std::int64_t max) {
  return *rc::gen::resize(100, rc::gen::weightedOneOf<std::int64_t>({{1, rc::gen::inRange<std::int64_t>(-2, 1)},
                                                                     {1, rc::gen::inRange<std::int64_t>(1, 1'000)},
                                                                     {8, rc::gen::inRange<std::int64_t>(1, max)}}));
}

VaultParams random_params() {
  return {.cooldown_ns = pick<std::int64_t>(0, kCooldownMaxNs),
          .min_deposit = Money::from_raw(pick(0, 2) == 0 ? 0 : pick<std::int64_t>(0, 100'000'000)),
          .virtual_shares = VaultShares::from_raw(pick<std::int64_t>(1, 1'000'001)),
          .virtual_assets = Money::from_raw(pick<std::int64_t>(1, 1'000'001)),
          .max_pending_withdrawals = pick<std::uint32_t>(1, 5)};
}

std::string encoded(const LiquidityVault& vault) {
  ByteWriter out;
  vault.encode(out);
  return out.take();
}

// A non-negative fraction; a <= b by cross-multiplication.
struct Fraction {
  cpp_int num;
  cpp_int den;
};
bool at_most(const Fraction& a, const Fraction& b) { return a.num * b.den <= b.num * a.den; }

// min(mediant, E/S), exactly; S > 0 and E > 0.
Fraction redemption_price(const VaultParams& params, std::int64_t equity, std::int64_t total) {
  const Fraction mediant{big(equity) + big(params.virtual_assets.raw()), big(total) + big(params.virtual_shares.raw())};
  const Fraction pro_rata{big(equity), big(total)};
  return at_most(mediant, pro_rata) ? mediant : pro_rata;
}

// The engine's side: the vault's marked equity moves with deposits, payouts and its positions.
struct World {
  LiquidityVault vault;
  std::int64_t equity = 0;  // money units
  TimestampNs now = kStart;
};

AccountId random_lp() { return AccountId{kFirstLp + pick<std::uint64_t>(0, kLpCount)}; }

// Mostly an LP holding shares with (or without) a pending request, so that requests and
// withdrawals reach their later rules; otherwise any LP, holder or not.
AccountId pick_holder(const World& world, bool with_request) {
  std::vector<AccountId> holders;
  for (const auto& [lp, position] : world.vault.positions()) {
    if (position.locked.is_zero() != with_request) {
      holders.push_back(lp);
    }
  }
  if (holders.empty() || pick(0, 4) == 0) {
    return random_lp();
  }
  return holders[pick<std::size_t>(0, holders.size())];
}

// A time for the next operation: usually forward, sometimes the same, sometimes one ns back.
TimestampNs next_time(const World& world) {
  const int kind = pick(0, 8);
  if (kind == 0) {
    return world.now - 1;
  }
  if (kind <= 2) {
    return world.now;
  }
  return world.now + pick<std::int64_t>(0, 2 * world.vault.params().cooldown_ns + 2);
}

VaultStatus check_deposit(World& world, const LiquidityVault& before) {
  const AccountId lp = random_lp();
  const Money amount = Money::from_raw(pick_amount(1'000'000'000'000));
  const TimestampNs at = next_time(world);
  const DepositResult result = world.vault.deposit(lp, amount, Money::from_raw(world.equity), at);
  if (result.status != VaultStatus::ok) {
    return result.status;
  }
  const VaultParams& p = before.params();
  const cpp_int expected = big(amount.raw()) * (big(before.total_shares().raw()) + big(p.virtual_shares.raw())) /
                           (big(world.equity) + big(p.virtual_assets.raw()));
  RC_ASSERT(big(result.minted.raw()) == expected);
  RC_ASSERT(world.vault.shares_of(lp).raw() == before.shares_of(lp).raw() + result.minted.raw());
  world.equity += amount.raw();
  world.now = at;
  return VaultStatus::ok;
}

VaultStatus check_withdraw(World& world, const LiquidityVault& before) {
  const AccountId lp = pick_holder(world, true);
  const TimestampNs at = next_time(world);
  const WithdrawResult result = world.vault.withdraw(lp, Money::from_raw(world.equity), at);
  if (result.status != VaultStatus::ok) {
    return result.status;
  }
  const VaultParams& p = before.params();
  const cpp_int s = big(result.burned.raw());
  const cpp_int total = big(before.total_shares().raw());
  RC_ASSERT(result.burned == before.locked_of(lp));
  // Exactly the smaller floor; so at most the pro-rata exact value s·E/S.
  const cpp_int at_mediant = s * (big(world.equity) + big(p.virtual_assets.raw())) / (total + big(p.virtual_shares.raw()));
  const cpp_int pro_rata = s * big(world.equity) / total;
  RC_ASSERT(big(result.paid.raw()) == std::min(at_mediant, pro_rata));
  RC_ASSERT(big(result.paid.raw()) * total <= s * big(world.equity));
  world.equity -= result.paid.raw();
  world.now = at;
  return VaultStatus::ok;
}

VaultStatus random_request(World& world) {
  const AccountId lp = pick_holder(world, false);
  const std::int64_t held = world.vault.shares_of(lp).raw();
  // All of it, a part, or slightly more than held.
  const std::int64_t shares = pick(0, 3) == 0 ? held : pick<std::int64_t>(-1, held + 3);
  const TimestampNs at = next_time(world);
  const VaultStatus status = world.vault.request_withdrawal(lp, VaultShares::from_raw(shares), at);
  if (status == VaultStatus::ok) {
    world.now = at;
  }
  return status;
}

VaultStatus random_cancel(World& world) {
  const TimestampNs at = next_time(world);
  const VaultStatus status = world.vault.cancel_withdrawal(pick_holder(world, true), at);
  if (status == VaultStatus::ok) {
    world.now = at;
  }
  return status;
}

// Fees and liquidation surplus up, backstop losses down, now and then through zero.
void move_equity(World& world) {
  if (pick(0, 2) == 0) {
    world.equity += pick<std::int64_t>(0, 1'000'000'000);
  } else {
    world.equity -= pick<std::int64_t>(0, std::max<std::int64_t>(world.equity, 1'000) * 6 / 5);
  }
}

// Whatever happened: the positions add up, nothing is over-promised, the bytes round-trip.
void check_state(const World& world) {
  const LiquidityVault& vault = world.vault;
  std::int64_t sum = 0;
  std::uint32_t pending = 0;
  cpp_int promised = 0;
  for (const auto& [lp, position] : vault.positions()) {
    RC_ASSERT(position.shares.raw() > 0);
    RC_ASSERT(position.locked.raw() >= 0 && position.locked <= position.shares);
    sum += position.shares.raw();
    pending += position.locked.is_zero() ? 0U : 1U;
    promised += big(vault.value_of(lp, Money::from_raw(world.equity)).raw());
  }
  RC_ASSERT(sum == vault.total_shares().raw());
  RC_ASSERT(pending == vault.pending_count());
  RC_ASSERT(pending <= vault.params().max_pending_withdrawals);
  RC_ASSERT(promised <= big(std::max<std::int64_t>(world.equity, 0)));
  const std::string bytes = encoded(vault);
  ByteReader in(bytes);
  const auto decoded = LiquidityVault::decode(in);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(in.at_end());
  RC_ASSERT(*decoded == vault);
}

// One random step; the checks that compare it with the state before it.
void step(World& world) {
  const LiquidityVault before = world.vault;
  const std::int64_t equity_before = world.equity;
  const std::string bytes_before = encoded(before);
  const int op = pick(0, 12);
  VaultStatus status = VaultStatus::ok;
  if (op <= 2) {
    status = check_deposit(world, before);
  } else if (op <= 4) {
    status = random_request(world);
  } else if (op == 5) {
    status = random_cancel(world);
  } else if (op <= 8) {
    status = check_withdraw(world, before);
  } else if (op <= 10) {
    move_equity(world);
  } else {
    world.vault.set_gated(pick(0, 4) == 0);  // gated about a quarter of the time
  }
  if (status != VaultStatus::ok) {
    RC_ASSERT(encoded(world.vault) == bytes_before);
    RC_ASSERT(world.equity == equity_before);
  }
  // A deposit or withdrawal that went through left the redemption price where it was or higher.
  const bool moved_money = status == VaultStatus::ok && (op <= 2 || (op >= 6 && op <= 8));
  if (moved_money && world.vault.total_shares().raw() > 0 && before.total_shares().raw() > 0 && equity_before > 0) {
    RC_ASSERT(at_most(redemption_price(before.params(), equity_before, before.total_shares().raw()),
                      redemption_price(world.vault.params(), world.equity, world.vault.total_shares().raw())));
  }
  check_state(world);
}

World random_world() {
  auto made = LiquidityVault::make(random_params(), kStart);
  RC_ASSERT(made.ok());
  return World{std::move(made).value()};
}

RC_GTEST_PROP(VaultProperty, NeverOverPromisedExactPayoutsInertRejections, ()) {
  World world = random_world();
  const int steps = pick(1, 120);
  for (int i = 0; i < steps; ++i) {
    step(world);
  }
}

RC_GTEST_PROP(VaultProperty, DepositThenWithdrawPaysAtMostTheDeposit, ()) {
  World world = random_world();
  const int steps = pick(0, 60);
  for (int i = 0; i < steps; ++i) {
    step(world);
  }
  // Make room for one more request (cancelling moves no money), open the gate, and give the
  // vault a non-negative equity, as a deposit needs.
  const LiquidityVault pending = world.vault;
  for (const auto& [lp, position] : pending.positions()) {
    if (!position.locked.is_zero()) {
      RC_ASSERT(world.vault.cancel_withdrawal(lp, world.now) == VaultStatus::ok);
    }
  }
  world.vault.set_gated(false);
  world.equity = std::max<std::int64_t>(world.equity, 0);
  const LiquidityVault before = world.vault;
  const AccountId lp{99};
  const VaultParams& p = before.params();
  const Money amount = Money::from_raw(pick<std::int64_t>(std::max<std::int64_t>(p.min_deposit.raw(), 1), 1'000'000'000'000));
  const DepositResult deposit = world.vault.deposit(lp, amount, Money::from_raw(world.equity), world.now);
  RC_PRE(deposit.status == VaultStatus::ok);  // only no_shares_minted or overflow can refuse it
  RC_ASSERT(world.vault.request_withdrawal(lp, deposit.minted, world.now) == VaultStatus::ok);
  const WithdrawResult out =
      world.vault.withdraw(lp, Money::from_raw(world.equity + amount.raw()), world.now + p.cooldown_ns);
  RC_ASSERT(out.status == VaultStatus::ok);
  RC_ASSERT(out.burned == deposit.minted);
  RC_ASSERT(out.paid <= amount);
  // Above the virtual price (E·vs ≥ S·va) the LP loses less than one share unit at the price it
  // bought at, (E + va) / (S + vs), plus the payout's unit: paid > A − 1 − (E + va) / (S + vs).
  const cpp_int S = big(before.total_shares().raw());
  const cpp_int E = big(world.equity);
  if (E * big(p.virtual_shares.raw()) >= S * big(p.virtual_assets.raw())) {
    RC_ASSERT((big(out.paid.raw()) - big(amount.raw()) + 1) * (S + big(p.virtual_shares.raw())) +
                  E + big(p.virtual_assets.raw()) > 0);
  }
  // And the vault is back where it was.
  RC_ASSERT(world.vault.positions() == before.positions());
}

}  // namespace
}  // namespace ballast::lending
