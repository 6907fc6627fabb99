#include "ballast/ledger/ledger.hpp"

#include <algorithm>

namespace ballast {
namespace {

constexpr std::size_t kAssetCountMax = 1u << 16;
constexpr std::size_t kBalancesPerSubAccountMax = 1u << 16;
constexpr std::size_t kPositionsPerSubAccountMax = 1u << 16;
// The change feed's length (ledger.hpp: at least half of it is kept): a simulator step changes
// a few hundred sub-accounts, and 64 KiB per ledger copy is small beside the ledger itself.
constexpr std::size_t kFeedLengthMax = 1u << 13;

bool fits_sum(Amount a, Amount b) { return checked_add(a, b).has_value(); }

Error snapshot_error(const ByteReader& in, std::string_view what) {
  return make_error(ErrorCode::corrupt, "ledger snapshot at byte " + std::to_string(in.offset()) +
                                            ": " + std::string(what));
}

}  // namespace

bool asset_symbol_valid(std::string_view symbol) {
  if (symbol.empty() || symbol.size() > kSymbolLengthMax) {
    return false;
  }
  return std::all_of(symbol.begin(), symbol.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
  });
}

Ledger::Ledger() {
  for (const AccountId system : {kInsuranceFund, kFeePool, kTreasury, kClearing}) {
    create_account(system);
    create_sub_account(SubAccountId{system.value}, system, MarginMode::cross);
  }
}

const Asset* Ledger::find_asset(AssetId id) const {
  const auto found = assets_.find(id);
  return found == assets_.end() ? nullptr : &found->second;
}

bool Ledger::symbol_listed(std::string_view symbol) const {
  return std::any_of(assets_.begin(), assets_.end(),
                     [symbol](const auto& entry) { return entry.second.symbol == symbol; });
}

bool Ledger::has_account(AccountId id) const { return accounts_.contains(id); }

const SubAccount* Ledger::find_sub_account(SubAccountId id) const {
  const auto found = sub_accounts_.find(id);
  return found == sub_accounts_.end() ? nullptr : &found->second;
}

Amount Ledger::balance(SubAccountId sub_account, AssetId asset) const {
  const SubAccount* found = find_sub_account(sub_account);
  BALLAST_ASSERT(found != nullptr);
  for (const Balance& entry : found->balances) {
    if (entry.asset == asset) {
      return entry.amount;
    }
  }
  return Amount{};
}

Amount Ledger::free_balance(SubAccountId sub_account, AssetId asset) const {
  const Amount amount = balance(sub_account, asset);
  return amount.is_negative() ? Amount{} : amount;
}

void Ledger::list_asset(AssetId id, std::string_view symbol, std::uint8_t decimals,
                        std::uint8_t flags) {
  BALLAST_ASSERT(!assets_.contains(id));
  BALLAST_ASSERT(asset_symbol_valid(symbol));
  BALLAST_ASSERT(decimals <= kMaxDecimals);
  BALLAST_ASSERT(asset_flags_known(flags));
  assets_.emplace(id, Asset{id, std::string(symbol), decimals, flags, Amount{}, Amount{}});
}

void Ledger::set_asset_flags(AssetId id, std::uint8_t flags) {
  BALLAST_ASSERT(asset_flags_known(flags));
  const auto found = assets_.find(id);
  BALLAST_ASSERT(found != assets_.end());
  found->second.flags = flags;
}

void Ledger::create_account(AccountId id) {
  const bool inserted = accounts_.emplace(id, std::vector<SubAccountId>{}).second;
  BALLAST_ASSERT(inserted);
}

const char* margin_mode_name(MarginMode mode) noexcept {
  switch (mode) {
    case MarginMode::cross: return "cross";
    case MarginMode::isolated: return "isolated";
    case MarginMode::portfolio: return "portfolio";
  }
  return nullptr;
}

void Ledger::create_sub_account(SubAccountId id, AccountId owner, MarginMode mode) {
  const auto account = accounts_.find(owner);
  BALLAST_ASSERT(account != accounts_.end());
  const bool inserted = sub_accounts_.emplace(id, SubAccount{id, owner, mode, {}, {}}).second;
  BALLAST_ASSERT(inserted);
  auto& list = account->second;
  list.insert(std::upper_bound(list.begin(), list.end(), id), id);
  note_change(id);
}

bool Ledger::deposit_fits(SubAccountId sub_account, AssetId asset, Amount amount) const {
  const Asset* listed = find_asset(asset);
  BALLAST_ASSERT(listed != nullptr);
  return fits_sum(balance(sub_account, asset), amount) && fits_sum(listed->deposited, amount);
}

bool Ledger::withdraw_fits(SubAccountId sub_account, AssetId asset, Amount amount) const {
  const Asset* listed = find_asset(asset);
  BALLAST_ASSERT(listed != nullptr);
  return checked_sub(balance(sub_account, asset), amount).has_value() &&
         fits_sum(listed->withdrawn, amount);
}

bool Ledger::transfer_fits(SubAccountId to, AssetId asset, Amount amount) const {
  return fits_sum(balance(to, asset), amount);
}

void Ledger::deposit(SubAccountId sub_account, AssetId asset, Amount amount) {
  BALLAST_ASSERT(amount > Amount{});
  BALLAST_ASSERT(deposit_fits(sub_account, asset, amount));
  Asset& listed = assets_.at(asset);
  listed.deposited = *checked_add(listed.deposited, amount);
  add_to_balance(sub_account_mut(sub_account), asset, amount);
}

void Ledger::withdraw(SubAccountId sub_account, AssetId asset, Amount amount) {
  BALLAST_ASSERT(amount <= free_balance(sub_account, asset));
  borrow(sub_account, asset, amount);
}

void Ledger::borrow(SubAccountId sub_account, AssetId asset, Amount amount) {
  BALLAST_ASSERT(amount > Amount{});
  BALLAST_ASSERT(withdraw_fits(sub_account, asset, amount));
  Asset& listed = assets_.at(asset);
  listed.withdrawn = *checked_add(listed.withdrawn, amount);
  add_to_balance(sub_account_mut(sub_account), asset, *checked_neg(amount));
}

void Ledger::transfer(SubAccountId from, SubAccountId to, AssetId asset, Amount amount) {
  BALLAST_ASSERT(from != to);
  BALLAST_ASSERT(amount > Amount{});
  BALLAST_ASSERT(amount <= free_balance(from, asset));
  BALLAST_ASSERT(transfer_fits(to, asset, amount));
  add_to_balance(sub_account_mut(from), asset, *checked_neg(amount));
  add_to_balance(sub_account_mut(to), asset, amount);
}

namespace {

// The postings' net change per (sub-account, asset), summed exactly, in key order. A sorted
// vector rather than a map: an accrual posts a million legs, and a node per key cost more than
// the sort.
std::vector<std::pair<std::pair<SubAccountId, AssetId>, int128>> net_of(std::span<const Posting> postings) {
  std::vector<std::pair<std::pair<SubAccountId, AssetId>, int128>> legs;
  legs.reserve(postings.size());
  for (const Posting& posting : postings) {
    legs.push_back({{posting.sub_account, posting.asset}, posting.delta.raw()});
  }
  std::sort(legs.begin(), legs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::size_t kept = 0;
  for (std::size_t i = 0; i < legs.size(); ++i) {
    if (kept > 0 && legs[kept - 1].first == legs[i].first) {
      legs[kept - 1].second += legs[i].second;
    } else {
      legs[kept++] = legs[i];
    }
  }
  legs.resize(kept);
  return legs;
}

}  // namespace

bool Ledger::postings_fit(std::span<const Posting> postings) const {
  std::map<AssetId, int128> per_asset;
  for (const auto& [key, delta] : net_of(postings)) {
    if (find_sub_account(key.first) == nullptr || find_asset(key.second) == nullptr) return false;
    if (!narrow_i64(static_cast<int128>(balance(key.first, key.second).raw()) + delta)) return false;
    per_asset[key.second] += delta;
  }
  return std::all_of(per_asset.begin(), per_asset.end(),
                     [](const auto& entry) { return entry.second == 0; });
}

void Ledger::post(std::span<const Posting> postings) {
  BALLAST_ASSERT(postings_fit(postings));
  for (const auto& [key, delta] : net_of(postings)) {
    if (delta != 0) {
      add_to_balance(sub_account_mut(key.first), key.second,
                     Amount::from_raw(static_cast<std::int64_t>(delta)));
    }
  }
}

const market::Position* position_of(const SubAccount& sub_account, InstrumentId instrument) {
  const auto at = std::lower_bound(sub_account.positions.begin(), sub_account.positions.end(), instrument,
                                   [](const PositionEntry& entry, InstrumentId id) { return entry.instrument < id; });
  return at != sub_account.positions.end() && at->instrument == instrument ? &at->position : nullptr;
}

const market::Position* Ledger::position(SubAccountId sub_account, InstrumentId instrument) const {
  const SubAccount* found = find_sub_account(sub_account);
  BALLAST_ASSERT(found != nullptr);
  return position_of(*found, instrument);
}

void Ledger::set_position(SubAccountId sub_account, InstrumentId instrument,
                          const market::Position& position) {
  auto& positions = sub_account_mut(sub_account).positions;
  const auto at = std::lower_bound(
      positions.begin(), positions.end(), instrument,
      [](const PositionEntry& entry, InstrumentId id) { return entry.instrument < id; });
  const bool found = at != positions.end() && at->instrument == instrument;
  if (position.size.is_zero()) {
    if (found) positions.erase(at);  // flat positions are dropped: one canonical form
  } else if (found) {
    at->position = position;
  } else {
    positions.insert(at, PositionEntry{instrument, position});
  }
  if (found != !position.size.is_zero()) note_holding(sub_account, instrument, !position.size.is_zero());
  note_change(sub_account);
}

const std::vector<SubAccountId>& Ledger::sub_accounts_of(AccountId owner) const {
  const auto found = accounts_.find(owner);
  BALLAST_ASSERT(found != accounts_.end());
  return found->second;
}

const std::set<SubAccountId>& Ledger::holders_of(InstrumentId instrument) const {
  static const std::set<SubAccountId> kNone;
  const auto found = holders_.find(instrument);
  return found == holders_.end() ? kNone : found->second;
}

const std::set<SubAccountId>& Ledger::balance_holders_of(AssetId asset) const {
  static const std::set<SubAccountId> kNone;
  const auto found = balance_holders_.find(asset);
  return found == balance_holders_.end() ? kNone : found->second;
}

std::optional<std::span<const SubAccountId>> Ledger::changes_since(std::uint64_t from) const {
  if (from < feed_base_ || from > change_count()) return std::nullopt;
  return std::span<const SubAccountId>(feed_).subspan(static_cast<std::size_t>(from - feed_base_));
}

void Ledger::note_change(SubAccountId id) {
  if (feed_.size() == kFeedLengthMax) {  // the oldest half goes: readers that far behind start over
    feed_base_ += kFeedLengthMax / 2;
    feed_.erase(feed_.begin(), feed_.begin() + kFeedLengthMax / 2);
  }
  feed_.push_back(id);
}

// The sub-account starts (holds) or stops holding a position in the instrument.
void Ledger::note_holding(SubAccountId id, InstrumentId instrument, bool holds) {
  std::set<SubAccountId>& holders = holders_[instrument];
  if (holds) {
    holders.insert(id);
  } else {
    holders.erase(id);
  }
}

SubAccount& Ledger::sub_account_mut(SubAccountId id) {
  const auto found = sub_accounts_.find(id);
  BALLAST_ASSERT(found != sub_accounts_.end());
  return found->second;
}

void Ledger::add_to_balance(SubAccount& sub_account, AssetId asset, Amount delta) {
  note_change(sub_account.id);
  auto& balances = sub_account.balances;
  const auto position = std::lower_bound(
      balances.begin(), balances.end(), asset,
      [](const Balance& entry, AssetId id) { return entry.asset < id; });
  if (position == balances.end() || position->asset != asset) {
    BALLAST_ASSERT(!delta.is_zero());
    balances.insert(position, Balance{asset, delta});
    balance_holders_[asset].insert(sub_account.id);
    return;
  }
  const auto sum = checked_add(position->amount, delta);
  BALLAST_ASSERT(sum.has_value());
  if (sum->is_zero()) {
    balances.erase(position);  // zero entries are dropped: one canonical form per state
    balance_holders_[asset].erase(sub_account.id);
  } else {
    position->amount = *sum;
  }
}

std::vector<const SubAccount*> Ledger::sub_accounts_in_order() const {
  std::vector<const SubAccount*> ordered;
  ordered.reserve(sub_accounts_.size());
  for (const auto& entry : sub_accounts_) {
    ordered.push_back(&entry.second);
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const SubAccount* a, const SubAccount* b) { return a->id < b->id; });
  return ordered;
}

std::vector<AccountId> Ledger::accounts_in_order() const {
  std::vector<AccountId> ordered;
  ordered.reserve(accounts_.size());
  for (const auto& entry : accounts_) {
    ordered.push_back(entry.first);
  }
  std::sort(ordered.begin(), ordered.end());
  return ordered;
}

bool Ledger::conserves_value() const {
  std::map<AssetId, int128> sums;
  for (const auto& entry : sub_accounts_) {
    for (const Balance& held : entry.second.balances) {
      sums[held.asset] += held.amount.raw();
    }
  }
  for (const auto& [id, asset] : assets_) {
    const int128 expected = static_cast<int128>(asset.deposited.raw()) - asset.withdrawn.raw();
    const auto found = sums.find(id);
    const int128 actual = found == sums.end() ? 0 : found->second;
    if (actual != expected) {
      return false;
    }
  }
  // A balance in an asset that is not listed would be value from nowhere.
  return std::all_of(sums.begin(), sums.end(),
                     [this](const auto& entry) { return assets_.contains(entry.first); });
}

void Ledger::encode(ByteWriter& out) const {
  out.u32(static_cast<std::uint32_t>(assets_.size()));
  for (const auto& [id, asset] : assets_) {
    out.u32(id.value);
    out.text(asset.symbol);
    out.u8(asset.decimals);
    out.u8(asset.flags);
    out.i64(asset.deposited.raw());
    out.i64(asset.withdrawn.raw());
  }
  const auto accounts = accounts_in_order();
  out.u64(accounts.size());
  for (const AccountId id : accounts) {
    out.u64(id.value);
  }
  const auto sub_accounts = sub_accounts_in_order();
  out.u64(sub_accounts.size());
  for (const SubAccount* sub_account : sub_accounts) {
    out.u64(sub_account->id.value);
    out.u64(sub_account->owner.value);
    out.u8(static_cast<std::uint8_t>(sub_account->mode));
    out.u32(static_cast<std::uint32_t>(sub_account->balances.size()));
    for (const Balance& held : sub_account->balances) {
      out.u32(held.asset.value);
      out.i64(held.amount.raw());
    }
    out.u32(static_cast<std::uint32_t>(sub_account->positions.size()));
    for (const PositionEntry& held : sub_account->positions) {
      out.u32(held.instrument.value);
      out.i64(held.position.size.raw());
      out.i64(held.position.cost_basis.raw());
      out.i64(held.position.realized_pnl.raw());
      out.i64(held.position.funding_snapshot.raw());
    }
  }
}

Result<Ledger> Ledger::decode(ByteReader& in) {
  Ledger ledger;
  ledger.accounts_.clear();
  ledger.sub_accounts_.clear();
  const auto asset_count = in.u32();
  if (!asset_count || *asset_count > kAssetCountMax) {
    return snapshot_error(in, "bad asset count");
  }
  for (std::uint32_t i = 0; i < *asset_count; ++i) {
    const auto id = in.u32();
    const auto symbol = in.text(kSymbolLengthMax);
    const auto decimals = in.u8();
    const auto flags = in.u8();
    const auto deposited = in.i64();
    const auto withdrawn = in.i64();
    if (!id || !symbol || !decimals || !flags || !deposited || !withdrawn || !asset_symbol_valid(*symbol) || *decimals > kMaxDecimals ||
        !asset_flags_known(*flags) || ledger.assets_.contains(AssetId{*id}) ||
        (!ledger.assets_.empty() && AssetId{*id} < ledger.assets_.rbegin()->first)) {
      return snapshot_error(in, "bad asset record " + std::to_string(i));
    }
    ledger.assets_.emplace(AssetId{*id},
                           Asset{AssetId{*id}, std::string(*symbol), *decimals, *flags,
                                 Amount::from_raw(*deposited), Amount::from_raw(*withdrawn)});
  }
  const auto account_count = in.u64();
  if (!account_count || *account_count > in.remaining() / 8) {
    return snapshot_error(in, "bad account count");
  }
  AccountId previous_account{0};
  for (std::uint64_t i = 0; i < *account_count; ++i) {
    const auto id = in.u64();
    if (!id || AccountId{*id} <= previous_account) {
      return snapshot_error(in, "accounts not in strictly increasing order");
    }
    previous_account = AccountId{*id};
    ledger.accounts_.emplace(previous_account, std::vector<SubAccountId>{});
  }
  return decode_sub_accounts(in, std::move(ledger));
}

Result<Ledger> Ledger::decode_sub_accounts(ByteReader& in, Ledger ledger) {
  const auto sub_account_count = in.u64();
  if (!sub_account_count || *sub_account_count > in.remaining() / 8) {
    return snapshot_error(in, "bad sub-account count");
  }
  SubAccountId previous{0};
  for (std::uint64_t i = 0; i < *sub_account_count; ++i) {
    const auto id = in.u64();
    const auto owner = in.u64();
    const auto mode = in.u8();
    const auto balance_count = in.u32();
    if (!id || !owner || !mode || !balance_count || SubAccountId{*id} <= previous ||
        !ledger.accounts_.contains(AccountId{*owner}) ||
        *mode > static_cast<std::uint8_t>(MarginMode::portfolio) ||
        *balance_count > kBalancesPerSubAccountMax) {
      return snapshot_error(in, "bad sub-account record " + std::to_string(i));
    }
    previous = SubAccountId{*id};
    SubAccount sub_account{previous, AccountId{*owner}, static_cast<MarginMode>(*mode), {}, {}};
    for (std::uint32_t k = 0; k < *balance_count; ++k) {
      const auto asset = in.u32();
      const auto amount = in.i64();
      if (!asset || !amount || *amount == 0 || !ledger.assets_.contains(AssetId{*asset}) ||
          (!sub_account.balances.empty() && AssetId{*asset} <= sub_account.balances.back().asset)) {
        return snapshot_error(in, "bad balance in sub-account " + std::to_string(*id));
      }
      sub_account.balances.push_back(Balance{AssetId{*asset}, Amount::from_raw(*amount)});
    }
    const auto position_count = in.u32();
    if (!position_count || *position_count > kPositionsPerSubAccountMax) {
      return snapshot_error(in, "bad position count in sub-account " + std::to_string(*id));
    }
    for (std::uint32_t k = 0; k < *position_count; ++k) {
      const auto instrument = in.u32();
      const auto size = in.i64();
      const auto cost_basis = in.i64();
      const auto realized = in.i64();
      const auto funding = in.i64();
      if (!instrument || !size || !cost_basis || !realized || !funding || *size == 0 ||
          (!sub_account.positions.empty() &&
           InstrumentId{*instrument} <= sub_account.positions.back().instrument)) {
        return snapshot_error(in, "bad position in sub-account " + std::to_string(*id));
      }
      sub_account.positions.push_back(PositionEntry{
          InstrumentId{*instrument},
          market::Position{Quantity::from_raw(*size), Money::from_raw(*cost_basis),
                           Money::from_raw(*realized), market::FundingIndex::from_raw(*funding)}});
    }
    ledger.accounts_.at(sub_account.owner).push_back(previous);  // ids arrive in order
    for (const PositionEntry& held : sub_account.positions) ledger.holders_[held.instrument].insert(previous);
    for (const Balance& held : sub_account.balances) ledger.balance_holders_[held.asset].insert(previous);
    ledger.sub_accounts_.emplace(previous, std::move(sub_account));
  }
  if (!ledger.conserves_value()) {
    return snapshot_error(in, "balances do not sum to deposits minus withdrawals");
  }
  return ledger;
}

}  // namespace ballast
