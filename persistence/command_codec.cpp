#include "command_codec.hpp"

#include <cstring>

#include "cpx/auction_codec.hpp"
#include "cpx/bytes.hpp"
#include "cpx/domain_codec.hpp"

namespace cpx::persistence {

namespace {

using Writer = ByteWriter;
using Reader = ByteReader;

}  // namespace

void encode_command(const Command& command, std::string& out) {
  Writer w(out);
  w.u8(kCommandCodecVersion);
  w.u8(static_cast<uint8_t>(command.index()));
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        w.i64(c.ts);
        if constexpr (std::is_same_v<T, NewOrder>) {
          w.u32(c.participant);
          w.u32(c.instrument);
          w.str(c.cl_ord_id.view());
          w.u8(static_cast<uint8_t>(c.side));
          w.u8(static_cast<uint8_t>(c.type));
          w.u8(static_cast<uint8_t>(c.tif));
          w.u8(static_cast<uint8_t>(c.stp));
          w.u8(c.post_only ? 1 : 0);
          w.i64(c.price);
          w.i64(c.qty);
          w.i64(c.expire_at);
        } else if constexpr (std::is_same_v<T, CancelOrder>) {
          w.u32(c.participant);
          w.u64(c.order_id);
          w.str(c.cl_ord_id.view());
        } else if constexpr (std::is_same_v<T, ReplaceOrder>) {
          w.u32(c.participant);
          w.u64(c.order_id);
          w.str(c.cl_ord_id.view());
          w.i64(c.price);
          w.i64(c.qty);
        } else if constexpr (std::is_same_v<T, MassCancel>) {
          w.u32(c.participant);
          w.u32(c.target);
          w.u32(c.instrument);
        } else if constexpr (std::is_same_v<T, AddRegion>) {
          w.u32(c.actor);
          put(w, c.region);
        } else if constexpr (std::is_same_v<T, AddChipClass>) {
          w.u32(c.actor);
          put(w, c.chip_class);
        } else if constexpr (std::is_same_v<T, AddParticipant>) {
          w.u32(c.actor);
          put(w, c.participant);
        } else if constexpr (std::is_same_v<T, ListInstrument>) {
          w.u32(c.actor);
          w.str(c.symbol);
          put(w, c.rules);
          w.i64(c.open_at);
        } else if constexpr (std::is_same_v<T, SetInstrumentState>) {
          w.u32(c.actor);
          w.u32(c.instrument);
          w.u8(static_cast<uint8_t>(c.action));
        } else if constexpr (std::is_same_v<T, RegisterCapacity>) {
          w.u32(c.actor);
          w.u32(c.supplier);
          w.str(c.region);
          w.str(c.chip_class);
          w.i64(c.from);
          w.i64(c.to);
          w.i64(c.devices);
        } else if constexpr (std::is_same_v<T, SetCredit>) {
          w.u32(c.actor);
          w.u32(c.participant);
          w.i64(c.limit);
        } else if constexpr (std::is_same_v<T, SetReferencePrice>) {
          w.u32(c.actor);
          w.u32(c.instrument);
          w.i64(c.price);
        } else if constexpr (std::is_same_v<T, SetFees>) {
          w.u32(c.actor);
          w.i64(c.maker_bps);
          w.i64(c.taker_bps);
        } else if constexpr (std::is_same_v<T, Deposit> || std::is_same_v<T, Withdraw>) {
          w.u32(c.actor);
          w.u32(c.participant);
          w.i64(c.amount);
        } else if constexpr (std::is_same_v<T, SetRevenueShare>) {
          w.u32(c.actor);
          w.u32(c.supplier);
          w.u32(static_cast<uint32_t>(c.shares.size()));
          for (const auto& [p, bps] : c.shares) {
            w.u32(p);
            w.i64(bps);
          }
        } else if constexpr (std::is_same_v<T, DeliveryReport>) {
          w.u32(c.participant);
          w.u64(c.trade_id);
          w.i64(c.delivered_device_hours);
        } else if constexpr (std::is_same_v<T, Dispute>) {
          w.u32(c.participant);
          w.u64(c.trade_id);
        } else if constexpr (std::is_same_v<T, ResolveDispute>) {
          w.u32(c.actor);
          w.u64(c.trade_id);
          w.i64(c.delivered_device_hours);
        } else if constexpr (std::is_same_v<T, AddLink>) {
          w.u32(c.actor);
          w.str(c.from);
          w.str(c.to);
          w.i64(c.latency_ms);
          w.i64(c.capacity_gbps);
          w.i64(c.tariff_per_gb);
          w.u32(c.carrier);
        } else if constexpr (std::is_same_v<T, RoutedOrder>) {
          w.u32(c.participant);
          w.str(c.cl_ord_id.view());
          w.u8(static_cast<uint8_t>(c.tif));
          put(w, c.query);
        } else if constexpr (std::is_same_v<T, OpenAuction>) {
          w.u32(c.actor);
          w.i64(c.day_start);
          w.i64(c.gate_closure);
        } else if constexpr (std::is_same_v<T, AuctionOffer>) {
          w.u32(c.participant);
          w.str(c.cl_ord_id.view());
          w.i64(c.day_start);
          w.u32(c.region);
          w.u32(c.chip_class);
          w.u32(static_cast<uint32_t>(c.hour));
          w.i64(c.devices);
          w.i64(c.price);
        } else if constexpr (std::is_same_v<T, AuctionBid>) {
          w.u32(c.participant);
          w.str(c.cl_ord_id.view());
          w.i64(c.day_start);
          w.u32(static_cast<uint32_t>(c.first_hour));
          w.u32(static_cast<uint32_t>(c.hours));
          w.i64(c.min_ratio_bps);
          put(w, c.constraints);
        } else if constexpr (std::is_same_v<T, CancelAuctionOrder>) {
          w.u32(c.participant);
          w.i64(c.day_start);
          w.u64(c.order_id);
        } else if constexpr (std::is_same_v<T, ClearAuction>) {
          w.u32(c.actor);
          w.i64(c.day_start);
          w.u8(c.cancel ? 1 : 0);
          put(w, c.result);
          put(w, c.summary);
        } else {
          static_assert(std::is_same_v<T, AdvanceTime>);
        }
      },
      command);
}

namespace {

// One alternative of Command by its index, default-constructed.
template <size_t I = 0>
bool make_alternative(size_t index, Command& out) {
  if constexpr (I < std::variant_size_v<Command>) {
    if (index == I) {
      out.emplace<I>();
      return true;
    }
    return make_alternative<I + 1>(index, out);
  }
  return false;
}

}  // namespace

Result<Command> decode_command(std::string_view bytes) {
  Reader r(bytes);
  uint8_t version = r.u8();
  if (r.ok() && version != kCommandCodecVersion) {
    return make_error("journal_version", "journal record has codec version " + std::to_string(version) +
                                             "; this build reads version " + std::to_string(kCommandCodecVersion));
  }
  uint8_t kind = r.u8();
  Command out;
  if (!r.ok() || !make_alternative(kind, out)) {
    return make_error("journal_corrupt", "journal record has an unknown command kind " + std::to_string(kind));
  }
  std::visit(
      [&](auto& c) {
        using T = std::decay_t<decltype(c)>;
        c.ts = r.i64();
        if constexpr (std::is_same_v<T, NewOrder>) {
          c.participant = r.u32();
          c.instrument = r.u32();
          r.cl_ord_id(c.cl_ord_id);
          c.side = r.small_enum<Side>(2);
          c.type = r.small_enum<OrderType>(2);
          c.tif = r.small_enum<TimeInForce>(5);
          c.stp = r.small_enum<SelfTradePrevention>(4);
          c.post_only = r.u8() != 0;
          c.price = r.i64();
          c.qty = r.i64();
          c.expire_at = r.i64();
        } else if constexpr (std::is_same_v<T, CancelOrder>) {
          c.participant = r.u32();
          c.order_id = r.u64();
          r.cl_ord_id(c.cl_ord_id);
        } else if constexpr (std::is_same_v<T, ReplaceOrder>) {
          c.participant = r.u32();
          c.order_id = r.u64();
          r.cl_ord_id(c.cl_ord_id);
          c.price = r.i64();
          c.qty = r.i64();
        } else if constexpr (std::is_same_v<T, MassCancel>) {
          c.participant = r.u32();
          c.target = r.u32();
          c.instrument = r.u32();
        } else if constexpr (std::is_same_v<T, AddRegion>) {
          c.actor = r.u32();
          get(r, c.region);
        } else if constexpr (std::is_same_v<T, AddChipClass>) {
          c.actor = r.u32();
          get(r, c.chip_class);
        } else if constexpr (std::is_same_v<T, AddParticipant>) {
          c.actor = r.u32();
          get(r, c.participant);
        } else if constexpr (std::is_same_v<T, ListInstrument>) {
          c.actor = r.u32();
          c.symbol = r.str();
          get(r, c.rules);
          c.open_at = r.i64();
        } else if constexpr (std::is_same_v<T, SetInstrumentState>) {
          c.actor = r.u32();
          c.instrument = r.u32();
          c.action = r.small_enum<StateAction>(2);
        } else if constexpr (std::is_same_v<T, RegisterCapacity>) {
          c.actor = r.u32();
          c.supplier = r.u32();
          c.region = r.str();
          c.chip_class = r.str();
          c.from = r.i64();
          c.to = r.i64();
          c.devices = r.i64();
        } else if constexpr (std::is_same_v<T, SetCredit>) {
          c.actor = r.u32();
          c.participant = r.u32();
          c.limit = r.i64();
        } else if constexpr (std::is_same_v<T, SetReferencePrice>) {
          c.actor = r.u32();
          c.instrument = r.u32();
          c.price = r.i64();
        } else if constexpr (std::is_same_v<T, SetFees>) {
          c.actor = r.u32();
          c.maker_bps = r.i64();
          c.taker_bps = r.i64();
        } else if constexpr (std::is_same_v<T, Deposit> || std::is_same_v<T, Withdraw>) {
          c.actor = r.u32();
          c.participant = r.u32();
          c.amount = r.i64();
        } else if constexpr (std::is_same_v<T, SetRevenueShare>) {
          c.actor = r.u32();
          c.supplier = r.u32();
          const uint32_t n = r.u32();
          if (n > 1000) r.fail();
          for (uint32_t i = 0; i < n && r.ok(); ++i) {
            const ParticipantId p = r.u32();
            const int64_t bps = r.i64();
            c.shares.emplace_back(p, bps);
          }
        } else if constexpr (std::is_same_v<T, DeliveryReport>) {
          c.participant = r.u32();
          c.trade_id = r.u64();
          c.delivered_device_hours = r.i64();
        } else if constexpr (std::is_same_v<T, Dispute>) {
          c.participant = r.u32();
          c.trade_id = r.u64();
        } else if constexpr (std::is_same_v<T, ResolveDispute>) {
          c.actor = r.u32();
          c.trade_id = r.u64();
          c.delivered_device_hours = r.i64();
        } else if constexpr (std::is_same_v<T, AddLink>) {
          c.actor = r.u32();
          c.from = r.str();
          c.to = r.str();
          c.latency_ms = r.i64();
          c.capacity_gbps = r.i64();
          c.tariff_per_gb = r.i64();
          c.carrier = r.u32();
        } else if constexpr (std::is_same_v<T, RoutedOrder>) {
          c.participant = r.u32();
          r.cl_ord_id(c.cl_ord_id);
          c.tif = r.small_enum<TimeInForce>(5);
          get(r, c.query);
        } else if constexpr (std::is_same_v<T, OpenAuction>) {
          c.actor = r.u32();
          c.day_start = r.i64();
          c.gate_closure = r.i64();
        } else if constexpr (std::is_same_v<T, AuctionOffer>) {
          c.participant = r.u32();
          r.cl_ord_id(c.cl_ord_id);
          c.day_start = r.i64();
          c.region = static_cast<RegionId>(r.u32());
          c.chip_class = static_cast<ChipClassId>(r.u32());
          c.hour = static_cast<int32_t>(r.u32());
          c.devices = r.i64();
          c.price = r.i64();
        } else if constexpr (std::is_same_v<T, AuctionBid>) {
          c.participant = r.u32();
          r.cl_ord_id(c.cl_ord_id);
          c.day_start = r.i64();
          c.first_hour = static_cast<int32_t>(r.u32());
          c.hours = static_cast<int32_t>(r.u32());
          c.min_ratio_bps = r.i64();
          get(r, c.constraints);
        } else if constexpr (std::is_same_v<T, CancelAuctionOrder>) {
          c.participant = r.u32();
          c.day_start = r.i64();
          c.order_id = r.u64();
        } else if constexpr (std::is_same_v<T, ClearAuction>) {
          c.actor = r.u32();
          c.day_start = r.i64();
          c.cancel = r.u8() != 0;
          get(r, c.result);
          if (!r.done()) get(r, c.summary);  // records written before summaries existed end here
        }
      },
      out);
  if (!r.ok()) return make_error("journal_corrupt", "journal record is truncated or has a field out of range");
  if (!r.done()) return make_error("journal_corrupt", "journal record has trailing bytes");
  return out;
}

}  // namespace cpx::persistence
