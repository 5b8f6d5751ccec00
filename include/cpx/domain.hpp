#pragma once
// The exchange's vocabulary (docs/PRODUCT.md §2): ids, sides, order types, regions, chip classes, participants.
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "cpx/fixed_point.hpp"
#include "cpx/time.hpp"

namespace cpx {

using OrderId = uint64_t;
using TradeId = uint64_t;
using ParticipantId = uint32_t;
using InstrumentId = uint32_t;
using RegionId = uint16_t;
using ChipClassId = uint16_t;

inline constexpr ParticipantId kNoParticipant = UINT32_MAX;
inline constexpr InstrumentId kNoInstrument = UINT32_MAX;
// Participant 0 always exists: the exchange itself, with the operator role. Admin commands from
// configuration and the replay tool act as it.
inline constexpr ParticipantId kExchangeParticipant = 0;

enum class Side : uint8_t { Buy, Sell };
inline Side opposite(Side s) { return s == Side::Buy ? Side::Sell : Side::Buy; }

enum class OrderType : uint8_t { Limit, Market };
enum class TimeInForce : uint8_t { GTC, DAY, GTD, IOC, FOK };
enum class SelfTradePrevention : uint8_t { CancelNewest, CancelOldest, CancelBoth, Decrement };

enum class ChipFamily : uint8_t { AI, General };
enum class RegionSide : uint8_t { East, West };

enum class ParticipantKind : uint8_t { CloudVendor, StateOperator, Carrier, Buyer, Exchange };

// Roles are a bit set.
enum Role : uint8_t {
  kRoleTradeBuy = 1 << 0,
  kRoleTradeSell = 1 << 1,
  kRoleCarrier = 1 << 2,
  kRoleOperator = 1 << 3,
  kRoleReadOnly = 1 << 4,
};
using RoleSet = uint8_t;

// Client order id: at most 32 bytes, stored inline so an order never allocates. Zero-padded with no
// separate length (an order fits in two cache lines), so the id itself may not contain a NUL byte.
class ClOrdId {
 public:
  static constexpr size_t kMax = 32;
  ClOrdId() { bytes_.fill(0); }
  // Returns false (and stores nothing) when the text is longer than kMax or contains a NUL byte.
  bool assign(std::string_view s) {
    if (s.size() > kMax || s.find('\0') != std::string_view::npos) return false;
    bytes_.fill(0);
    std::memcpy(bytes_.data(), s.data(), s.size());
    return true;
  }
  std::string_view view() const { return {bytes_.data(), strnlen(bytes_.data(), kMax)}; }
  bool empty() const { return bytes_[0] == 0; }
  friend bool operator==(const ClOrdId& a, const ClOrdId& b) { return a.bytes_ == b.bytes_; }

 private:
  std::array<char, kMax> bytes_;
};

struct Region {
  std::string code;
  std::string name;
  RegionSide side = RegionSide::East;
  std::string jurisdiction;
  int64_t power_price = 0;  // CNY per kWh, four decimals
  int64_t green_share = 0;  // four decimals: 0.30 -> 3000
  int64_t pue = 0;          // four decimals
};

// A one-way network link between two regions (docs/PRODUCT.md §3.2, §3.3): the transfer path of routed
// orders and the auction's network. The carrier is paid its tariff for every GB moved over it.
struct NetworkLink {
  RegionId from = 0;
  RegionId to = 0;
  int64_t latency_ms = 0;     // one way
  int64_t capacity_gbps = 0;
  int64_t tariff_per_gb = 0;  // CNY per GB, four decimals
  ParticipantId carrier = kNoParticipant;
};
// The dearest tariff a link may have (10,000 CNY per GB): add_link's bound and the auction's, so that a
// link the engine took can always go into an auction's input.
inline constexpr int64_t kMaxTariffPerGb = 100'000'000;

struct ChipClass {
  std::string code;
  ChipFamily family = ChipFamily::AI;
  std::string device;  // what one lot-unit is: "1 GPU", "64-vCPU node"
  int64_t memory_gb = 0;
  std::string interconnect;
  int64_t scu_per_device = 0;  // standard compute units (TFLOPS) per device
};

struct ParticipantLimits {
  int64_t max_open_orders = 10'000;
  Quantity max_order_qty = 1'000'000;
};

struct Participant {
  std::string code;
  std::string name;
  ParticipantKind kind = ParticipantKind::Buyer;
  RoleSet roles = 0;
  ParticipantLimits limits;
};

std::string_view to_string(Side s);
std::string_view to_string(OrderType t);
std::string_view to_string(TimeInForce t);
std::string_view to_string(SelfTradePrevention s);
std::string_view to_string(ChipFamily f);
std::string_view to_string(RegionSide s);
std::string_view to_string(ParticipantKind k);
std::string role_list(RoleSet roles);  // "trade_buy,operator"

bool parse_side(std::string_view s, Side& out);
bool parse_order_type(std::string_view s, OrderType& out);
bool parse_tif(std::string_view s, TimeInForce& out);
bool parse_stp(std::string_view s, SelfTradePrevention& out);
bool parse_family(std::string_view s, ChipFamily& out);
bool parse_region_side(std::string_view s, RegionSide& out);
bool parse_participant_kind(std::string_view s, ParticipantKind& out);
bool parse_role(std::string_view s, Role& out);

}  // namespace cpx
