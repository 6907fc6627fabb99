// Circuit breakers (breakers.hpp) and governed risk parameters (governed.hpp) in the engine, on
// the fixture's venue (BTC-PERP and BTC-JAN25 at 10% initial / 5% maintenance): a volatility
// regime raising margin and returning it, open-interest caps against depth, the emergency
// settlement rule, and proposals with bounds, steps, timelock and history, each rejection
// changing nothing.

#include <gtest/gtest.h>

#include <algorithm>

#include "ballast/engine/testing/engine_margin_fixture.hpp"

namespace ballast::engine_testing {
namespace {

constexpr TimestampNs kMillisecond = kSecond / 1000;
constexpr TimestampNs kMinute = 60 * kSecond;
constexpr TimestampNs kHour = 60 * kMinute;
constexpr TimestampNs kDay = 24 * kHour;

constexpr governance::ParameterKey kPerpMaintenance{1};
constexpr governance::ParameterKey kBtcInitWeight{2};
constexpr governance::ParameterKey kCloseFactor{3};
constexpr governance::ParameterKey kDepthFactor{4};

std::int64_t raw_ratio(const char* text) { return ratio(text).raw(); }

EngineOptions controlled_options() {
  EngineOptions options;
  BreakerOptions breakers;
  breakers.oi_depth_factor = ratio("0.5");
  options.breakers = breakers;
  GovernanceOptions governance;  // Compound's timelock: 2 days, then 14 days of grace
  governance.parameters = {
      {"BTC-PERP.maintenance_rate", raw_ratio("0.01"), raw_ratio("0.2"), raw_ratio("0.02"), std::nullopt},
      {"BTC.init_asset_weight", raw_ratio("0.5"), raw_ratio("0.9"), std::nullopt, ratio("0.1")},
      {"liquidation.close_factor", raw_ratio("0.1"), raw_ratio("1"), raw_ratio("0.25"), std::nullopt},
      {"breakers.oi_depth_factor", 0, raw_ratio("2"), raw_ratio("1"), std::nullopt},
  };
  options.governance = governance;
  return options;
}

class EngineControlsTest : public EngineMarginTest {
 protected:
  EngineOptions options() const override { return controlled_options(); }

  // Alice long 1 BTC-PERP from Bob at 50,000, no fees: 10,000 USDC each behind it.
  void open_one_btc() {
    ok(Fill{kAlice, kAliceMain, kPerp, qty("1"), price("50000"), Money{}});
    ok(Fill{kBob, kBobMain, kPerp, qty("-1"), price("50000"), Money{}});
  }
  // The rule in force for a market, and the governed one.
  const margin::BaseRule& in_force(InstrumentId id) const {
    return std::get<margin::BaseRule>(engine_.risk_config()->find_market(id)->rule);
  }
  const margin::BaseRule& governed(InstrumentId id) const {
    return std::get<margin::BaseRule>(engine_.governed_risk_config().find_market(id)->rule);
  }
  std::uint8_t btc_level() const { return engine_.breakers().assets[1].monitor.level; }  // assets: USDC, BTC
  bool alice_liquidatable() const {
    const std::vector<LiquidatableGroup> groups = engine_.liquidatable_groups();
    return std::any_of(groups.begin(), groups.end(),
                       [](const LiquidatableGroup& g) { return g.sub_account == kAliceMain; });
  }
  // A BTC oracle reading and both marks at `btc`, `gap` after the last event.
  void prices_after(TimestampNs gap, const char* btc) {
    now_ += gap;
    set_prices(btc);
  }
};

// A 12% fall in one sampling interval is a breach of the GARCH bound (4 sigma of 0.1%) and a
// realized-vol ratio of about 31 against the calm baseline: the top regime, margin x 2. At 44,000
// Alice's 4,000 of equity covers the governed 5% maintenance (2,200) but not the 10% in force:
// liquidatable. Without the breaker she would not be.
TEST_F(EngineControlsTest, CrashRaisesMarginToTheTopRegime) {
  open_one_btc();
  prices_after(kMinute, "49990");  // a calm minute: a 0.02% move
  EXPECT_EQ(btc_level(), 0);
  EXPECT_EQ(in_force(kPerp).maintenance_rate, ratio("0.05"));
  EXPECT_FALSE(alice_liquidatable());

  prices_after(kMinute, "44000");
  EXPECT_EQ(btc_level(), 3);
  EXPECT_EQ(engine_.breakers().assets[1].monitor.breaches, 1u);
  EXPECT_EQ(in_force(kPerp).maintenance_rate, ratio("0.1"));
  EXPECT_EQ(in_force(kPerp).initial_rate, ratio("0.2"));
  EXPECT_EQ(in_force(kFuture).maintenance_rate, ratio("0.1"));
  EXPECT_EQ(governed(kPerp).maintenance_rate, ratio("0.05"));
  const std::vector<LiquidatableGroup> groups = engine_.liquidatable_groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].sub_account, kAliceMain);
  EXPECT_EQ(groups[0].equity, money("4000"));
  EXPECT_EQ(groups[0].maintenance_requirement, money("4400"));
  expect_replay_and_restore_match();
}

// The regime steps down one level per calm hour once the EWMA gauge has decayed, and the rates in
// force return exactly to the governed ones.
TEST_F(EngineControlsTest, CalmReturnsTheGovernedRates) {
  prices_after(kMinute, "44000");
  ASSERT_EQ(btc_level(), 3);
  std::vector<std::uint8_t> levels_by_hour;
  for (int minute = 1; minute <= 6 * 60; ++minute) {
    now_ += kMinute;
    ok(OraclePrice{kBtc, price("44000"), price("44000")});
    if (minute % 60 == 0) levels_by_hour.push_back(btc_level());
  }
  // The EWMA gauge asks for level 3 until about minute 76 (sqrt(v) / sigma falls under 3 as v
  // decays by 0.94 a minute), so the first step down comes then, and one more each calm hour.
  EXPECT_EQ(levels_by_hour, (std::vector<std::uint8_t>{3, 2, 1, 0, 0, 0}));
  EXPECT_EQ(in_force(kPerp).maintenance_rate, ratio("0.05"));
  EXPECT_EQ(in_force(kPerp).initial_rate, ratio("0.1"));
  EXPECT_EQ(in_force(kFuture).maintenance_rate, governed(kFuture).maintenance_rate);
  EXPECT_EQ(engine_.snapshot(), Engine::restore(engine_.snapshot())->snapshot());
  expect_replay_and_restore_match();
}

// Depth 100,000 and factor 0.5: open interest may reach 50,000 of notional. A fill that raises it
// past the cap is refused; one that lowers it, or leaves it where it is, is allowed even above it.
TEST_F(EngineControlsTest, OpenInterestIsCappedAgainstDepth) {
  rejected(SetMarketDepth{kPerp, Money::from_raw(-1)}, Status::amount_negative);
  rejected(SetMarketDepth{kNoMarket, money("100000")}, Status::instrument_unknown);
  ok(SetMarketDepth{kPerp, money("100000")});
  EXPECT_EQ(engine_.breakers().depth[0], money("100000"));
  open_one_btc();  // open interest 50,000: at the cap
  EXPECT_EQ(open_interest(kPerp), money("50000"));
  rejected(Fill{kAlice, kAliceMain, kPerp, qty("0.001"), price("50000"), Money{}}, Status::open_interest_cap_exceeded);
  ok(Fill{kBob, kBobMain, kPerp, qty("-0.001"), price("50000"), Money{}});  // a short adds no long size

  ok(SetMarketDepth{kPerp, money("40000")});  // the cap falls to 20,000, below the 50,000 open
  rejected(Fill{kAlice, kAliceIsolated, kPerp, qty("0.001"), price("50000"), Money{}},
           Status::open_interest_cap_exceeded);
  ok(Fill{kAlice, kAliceMain, kPerp, qty("-0.5"), price("50000"), Money{}});  // reduces: allowed
  EXPECT_EQ(open_interest(kPerp), money("25000"));
  ok(Fill{kBob, kBobMain, kPerp, qty("0.4"), price("50000"), Money{}});  // Bob's short shrinks: OI unchanged
  expect_replay_and_restore_match();
}

// The pre-declared rule: an hour without a valid BTC reading, and every BTC-PERP position closes
// at the last valid one (45,000) against the clearing account: Alice pays 5,000, Bob receives it.
TEST_F(EngineControlsTest, EmergencySettlementAfterTheOracleOutage) {
  open_one_btc();
  prices_after(kSecond, "45000");
  const TimestampNs last_valid_ns = now_ - 2 * kMillisecond;  // the oracle reading, before two marks
  rejected(EmergencySettle{kNoMarket}, Status::instrument_unknown);
  rejected(EmergencySettle{kPerp}, Status::emergency_not_allowed);
  now_ = last_valid_ns + kHour - 2 * kMillisecond;
  rejected(EmergencySettle{kPerp}, Status::emergency_not_allowed);  // a millisecond short of the hour
  ok(EmergencySettle{kPerp});                                          // the hour
  EXPECT_EQ(size(kAliceMain, kPerp), Quantity{});
  EXPECT_EQ(size(kBobMain, kPerp), Quantity{});
  EXPECT_EQ(balance(kAliceMain, kUsdc), usdc(5'000));
  EXPECT_EQ(balance(kBobMain, kUsdc), usdc(15'000));
  EXPECT_EQ(open_interest(kPerp), Money{});
  EXPECT_EQ(engine_.lives()[0].settled_at, price("45000"));
  rejected(EmergencySettle{kPerp}, Status::instrument_settled);
  rejected(Fill{kAlice, kAliceMain, kPerp, qty("1"), price("45000"), Money{}}, Status::instrument_settled);
  expect_replay_and_restore_match();
}

// A proposal waits out its timelock, then the value is in force from the executing event on, and
// the history says when and by which proposal.
TEST_F(EngineControlsTest, ProposalExecutesAfterItsTimelock) {
  const governance::ProposalId id{7};
  ok(ProposeParameter{id, kPerpMaintenance, raw_ratio("0.07")});
  const TimestampNs proposed_ns = now_;
  now_ += 2 * kDay - kSecond;
  rejected(ExecuteProposal{id}, Status::timelock_pending);
  EXPECT_EQ(in_force(kPerp).maintenance_rate, ratio("0.05"));
  now_ += kSecond;
  ok(ExecuteProposal{id});
  const TimestampNs executed_ns = now_;
  EXPECT_EQ(governed(kPerp).maintenance_rate, ratio("0.07"));
  EXPECT_EQ(in_force(kPerp).maintenance_rate, ratio("0.07"));
  const governance::Governor& governor = *engine_.governor();
  ASSERT_EQ(governor.history(kPerpMaintenance).size(), 1u);
  const governance::ParameterChange& change = governor.history(kPerpMaintenance).front();
  EXPECT_EQ(change.proposal, id);
  EXPECT_EQ(change.old_value, raw_ratio("0.05"));
  EXPECT_EQ(change.new_value, raw_ratio("0.07"));
  EXPECT_EQ(change.proposed_ns, proposed_ns);
  EXPECT_EQ(change.executed_ns, executed_ns);
  EXPECT_EQ(governor.value_at(kPerpMaintenance, executed_ns - 1), raw_ratio("0.05"));
  EXPECT_EQ(governor.value_at(kPerpMaintenance, executed_ns), raw_ratio("0.07"));
  rejected(ExecuteProposal{id}, Status::proposal_executed);
  expect_replay_and_restore_match();
  Result<Engine> restored = Engine::restore(engine_.snapshot());
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->governor()->history(kPerpMaintenance).front(), change);
  EXPECT_TRUE(restored->options() == engine_.options());
}

// Governance raises maintenance from 5% to 7%: at 42,500 Alice's 2,500 of equity covered 2,125,
// not 2,975. With the volatility regime at the top, the rate in force is 7% x 2 = 14%.
TEST_F(EngineControlsTest, GovernedRateMakesAnAccountLiquidatableAndBreakersScaleIt) {
  open_one_btc();
  ok(ProposeParameter{governance::ProposalId{1}, kPerpMaintenance, raw_ratio("0.07")});
  prices_after(kSecond, "42500");
  EXPECT_FALSE(alice_liquidatable());
  now_ += 2 * kDay;
  ok(ExecuteProposal{governance::ProposalId{1}});
  EXPECT_TRUE(alice_liquidatable());
  // A gap of two days counts as one interval's return scaled down by sqrt(gap / interval): a
  // calm minute first, so the fall is judged as one minute's.
  prices_after(kMinute, "42500");
  prices_after(kMinute, "36000");
  EXPECT_EQ(btc_level(), 3);
  EXPECT_EQ(in_force(kPerp).maintenance_rate, ratio("0.14"));
  EXPECT_EQ(in_force(kPerp).initial_rate, ratio("0.2"));
  expect_replay_and_restore_match();
}

TEST_F(EngineControlsTest, ProposalRejectionsChangeNothing) {
  using governance::ProposalId;
  rejected(ProposeParameter{ProposalId{0}, kPerpMaintenance, raw_ratio("0.06")}, Status::proposal_id_invalid);
  rejected(ProposeParameter{ProposalId{1}, governance::ParameterKey{99}, 1}, Status::parameter_unknown);
  rejected(ProposeParameter{ProposalId{1}, kPerpMaintenance, raw_ratio("0.005")}, Status::parameter_out_of_bounds);
  rejected(ProposeParameter{ProposalId{1}, kPerpMaintenance, raw_ratio("0.05")}, Status::parameter_unchanged);
  // max_step 0.02: 0.05 -> 0.08 is a step of 0.03.
  rejected(ProposeParameter{ProposalId{1}, kPerpMaintenance, raw_ratio("0.08")}, Status::parameter_step_too_large);
  // max_relative_step 10% of 0.8: 0.72 is allowed, 0.71 is not.
  rejected(ProposeParameter{ProposalId{1}, kBtcInitWeight, raw_ratio("0.71")}, Status::parameter_step_too_large);
  ok(ProposeParameter{ProposalId{1}, kBtcInitWeight, raw_ratio("0.72")});
  rejected(ProposeParameter{ProposalId{1}, kCloseFactor, raw_ratio("0.6")}, Status::proposal_exists);
  rejected(ProposeParameter{ProposalId{2}, kBtcInitWeight, raw_ratio("0.75")}, Status::parameter_busy);
  ok(ProposeParameter{ProposalId{3}, kPerpMaintenance, raw_ratio("0.07")});
  now_ += 2 * kDay;
  ok(ExecuteProposal{ProposalId{3}});
  ok(ProposeParameter{ProposalId{4}, kPerpMaintenance, raw_ratio("0.09")});
  now_ += 2 * kDay;
  ok(ExecuteProposal{ProposalId{4}});
  // 0.11 is in bounds and one step away, but above the initial rate (10%): a conflict.
  rejected(ProposeParameter{ProposalId{5}, kPerpMaintenance, raw_ratio("0.11")}, Status::parameter_conflict);
  EXPECT_EQ(in_force(kPerp).maintenance_rate, ratio("0.09"));
  // Cancel, then execution is refused; an unexecuted proposal expires after the grace period.
  ok(CancelProposal{ProposalId{1}});
  rejected(CancelProposal{ProposalId{1}}, Status::proposal_cancelled);
  rejected(ExecuteProposal{ProposalId{1}}, Status::proposal_cancelled);
  rejected(ExecuteProposal{ProposalId{42}}, Status::proposal_unknown);
  ok(ProposeParameter{ProposalId{6}, kCloseFactor, raw_ratio("0.6")});
  now_ += 16 * kDay + kSecond;
  rejected(ExecuteProposal{ProposalId{6}}, Status::proposal_expired);
  EXPECT_EQ(engine_.options().liquidation.sizing.close_factor, ratio("0.5"));
  expect_replay_and_restore_match();
}

// A venue allowing one queued proposal at a time.
class EngineOneProposalTest : public EngineControlsTest {
 protected:
  EngineOptions options() const override {
    EngineOptions options = controlled_options();
    options.governance->params.max_pending = 1;
    return options;
  }
};

TEST_F(EngineOneProposalTest, QueueIsFull) {
  ok(ProposeParameter{governance::ProposalId{1}, kPerpMaintenance, raw_ratio("0.06")});
  rejected(ProposeParameter{governance::ProposalId{2}, kCloseFactor, raw_ratio("0.6")}, Status::proposals_full);
  ok(CancelProposal{governance::ProposalId{1}});
  ok(ProposeParameter{governance::ProposalId{2}, kCloseFactor, raw_ratio("0.6")});
  expect_replay_and_restore_match();
}

// A governed breaker parameter: the open-interest factor.
TEST_F(EngineControlsTest, GovernanceChangesTheDepthFactor) {
  ok(ProposeParameter{governance::ProposalId{1}, kDepthFactor, raw_ratio("1")});
  now_ += 2 * kDay;
  ok(ExecuteProposal{governance::ProposalId{1}});
  EXPECT_EQ(engine_.options().breakers->oi_depth_factor, ratio("1"));
  ok(SetMarketDepth{kPerp, money("50000")});
  prices_after(kSecond, "50000");
  open_one_btc();  // 50,000 of open interest: within 50,000 x 1, twice the old cap
  expect_replay_and_restore_match();
}

TEST(EngineControlsConfig, UnknownParametersAndBadBreakersAreRefused) {
  EngineOptions options = controlled_options();
  options.governance->parameters.push_back({"BTC-PERP.nope", 0, 1, 1, std::nullopt});
  Result<Engine> made = Engine::make(venue(), options);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("\"BTC-PERP.nope\""), std::string::npos) << made.error().message;

  options = controlled_options();
  options.breakers.reset();  // breakers.oi_depth_factor names nothing without breakers
  made = Engine::make(venue(), options);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("breakers.oi_depth_factor"), std::string::npos) << made.error().message;

  options = controlled_options();
  options.breakers->oi_depth_factor = Ratio::from_raw(-1);
  made = Engine::make(venue(), options);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().message, "breakers.oi_depth_factor: must be >= 0");

  options = controlled_options();
  options.governance->parameters[0].max = raw_ratio("0.04");  // the value in force (0.05) is outside
  made = Engine::make(venue(), options);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("BTC-PERP.maintenance_rate"), std::string::npos) << made.error().message;
}

// The liquidation rules travel whole in the snapshot, the sizing's rounding allowance and dYdX's
// fields included: a restored engine sizes and prices closes as the original did.
TEST(EngineControlsConfig, LiquidationRulesSurviveTheSnapshot) {
  EngineOptions options;
  options.liquidation.sizing.rounding_allowance = Money::from_raw(7);
  options.liquidation.bankruptcy_adjustment = ratio("1");
  options.liquidation.spread_to_maintenance = ratio("1.5");
  options.liquidation.target_fee_rate = ratio("0.005");
  Result<Engine> made = Engine::make(venue(), options);
  ASSERT_TRUE(made.ok()) << made.error().message;
  Result<Engine> restored = Engine::restore(made->snapshot());
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->options().liquidation, options.liquidation);
  options.liquidation.sizing.rounding_allowance = Money::from_raw(-1);
  made = Engine::make(venue(), options);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().message, "liquidation.rounding_allowance: must be >= 0");
}

// A venue without either: their events are refused as such.
TEST_F(EngineMarginTest, ControlEventsNeedTheirConfiguration) {
  rejected(SetMarketDepth{kPerp, money("1")}, Status::breakers_missing);
  rejected(EmergencySettle{kPerp}, Status::breakers_missing);
  rejected(ProposeParameter{governance::ProposalId{1}, kPerpMaintenance, 1}, Status::governance_missing);
  rejected(CancelProposal{governance::ProposalId{1}}, Status::governance_missing);
  rejected(ExecuteProposal{governance::ProposalId{1}}, Status::governance_missing);
}

}  // namespace
}  // namespace ballast::engine_testing
