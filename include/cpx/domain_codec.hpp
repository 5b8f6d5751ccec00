#pragma once
// Reference data as bytes: the same layout in journal records (add_region, add_chip_class,
// list_instrument) and in engine snapshots.
#include "cpx/bytes.hpp"
#include "cpx/domain.hpp"
#include "cpx/instrument.hpp"
#include "cpx/routing.hpp"

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

// Route constraints (routed orders, auction blocks).
inline void put(ByteWriter& w, const RouteQuery& q) {
  w.u32(static_cast<uint32_t>(q.classes.size()));
  for (ChipClassId c : q.classes) w.u32(c);
  w.u32(static_cast<uint32_t>(q.regions.size()));
  for (RegionId r : q.regions) w.u32(r);
  w.u32(q.origin);
  w.i64(q.max_latency_ms);
  w.u8(q.local_only ? 1 : 0);
  w.u32(static_cast<uint32_t>(q.jurisdictions.size()));
  for (const std::string& j : q.jurisdictions) w.str(j);
  w.i64(q.min_green_share);
  w.i64(q.data_gb);
  w.i64(q.scu);
  w.i64(q.window_start);
  w.i64(q.window_end);
  w.i64(q.limit_per_scu_hour);
}

inline void get(ByteReader& r, RouteQuery& out) {
  // Lists are short (classes and regions number at most 65536); a damaged count fails the reader.
  auto list = [&](auto& v, auto read) {
    const uint32_t n = r.u32();
    if (n > 65'536) r.fail();
    for (uint32_t i = 0; i < n && r.ok(); ++i) v.push_back(read());
  };
  list(out.classes, [&] { return static_cast<ChipClassId>(r.u32()); });
  list(out.regions, [&] { return static_cast<RegionId>(r.u32()); });
  out.origin = static_cast<RegionId>(r.u32());
  out.max_latency_ms = r.i64();
  out.local_only = r.u8() != 0;
  list(out.jurisdictions, [&] { return r.str(); });
  out.min_green_share = r.i64();
  out.data_gb = r.i64();
  out.scu = r.i64();
  out.window_start = r.i64();
  out.window_end = r.i64();
  out.limit_per_scu_hour = r.i64();
}

}  // namespace cpx
