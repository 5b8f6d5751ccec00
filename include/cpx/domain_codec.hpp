#pragma once
// Reference data as bytes: the same layout in journal records (add_region, add_chip_class,
// list_instrument) and in engine snapshots.
#include "cpx/bytes.hpp"
#include "cpx/domain.hpp"
#include "cpx/instrument.hpp"

namespace cpx {

inline void put(ByteWriter& w, const Region& r) {
  w.str(r.code);
  w.str(r.name);
  w.u8(static_cast<uint8_t>(r.side));
  w.str(r.jurisdiction);
  w.i64(r.power_price);
  w.i64(r.green_share);
  w.i64(r.pue);
}

inline void get(ByteReader& r, Region& out) {
  out.code = r.str();
  out.name = r.str();
  out.side = r.small_enum<RegionSide>(2);
  out.jurisdiction = r.str();
  out.power_price = r.i64();
  out.green_share = r.i64();
  out.pue = r.i64();
}

inline void put(ByteWriter& w, const NetworkLink& l) {
  w.u32(l.from);
  w.u32(l.to);
  w.i64(l.latency_ms);
  w.i64(l.capacity_gbps);
  w.i64(l.tariff_per_gb);
  w.u32(l.carrier);
}

inline void get(ByteReader& r, NetworkLink& out) {
  out.from = static_cast<RegionId>(r.u32());
  out.to = static_cast<RegionId>(r.u32());
  out.latency_ms = r.i64();
  out.capacity_gbps = r.i64();
  out.tariff_per_gb = r.i64();
  out.carrier = r.u32();
}

inline void put(ByteWriter& w, const ChipClass& c) {
  w.str(c.code);
  w.u8(static_cast<uint8_t>(c.family));
  w.str(c.device);
  w.i64(c.memory_gb);
  w.str(c.interconnect);
  w.i64(c.scu_per_device);
}

inline void get(ByteReader& r, ChipClass& out) {
  out.code = r.str();
  out.family = r.small_enum<ChipFamily>(2);
  out.device = r.str();
  out.memory_gb = r.i64();
  out.interconnect = r.str();
  out.scu_per_device = r.i64();
}

inline void put(ByteWriter& w, const InstrumentRules& x) {
  w.i64(x.tick);
  w.i64(x.lot);
  w.i64(x.max_order_qty);
  w.i64(x.price_band_bps);
  w.i64(x.gate_closure_ns);
}

inline void get(ByteReader& r, InstrumentRules& out) {
  out.tick = r.i64();
  out.lot = r.i64();
  out.max_order_qty = r.i64();
  out.price_band_bps = r.i64();
  out.gate_closure_ns = r.i64();
}

inline void put(ByteWriter& w, const Participant& p) {
  w.str(p.code);
  w.str(p.name);
  w.u8(static_cast<uint8_t>(p.kind));
  w.u8(p.roles);
  w.i64(p.limits.max_open_orders);
  w.i64(p.limits.max_order_qty);
}

inline void get(ByteReader& r, Participant& out) {
  out.code = r.str();
  out.name = r.str();
  out.kind = r.small_enum<ParticipantKind>(5);
  out.roles = r.u8();
  out.limits.max_open_orders = r.i64();
  out.limits.max_order_qty = r.i64();
}

}  // namespace cpx
