#pragma once
// The auction's data as bytes: the same layout in journal records (ClearAuction) and engine snapshots
// (the input frozen at the gate, the result). Counts are checked against what the rest of the input can
// hold, so a damaged record never drives a huge allocation.
#include "cpx/auction.hpp"
#include "cpx/bytes.hpp"

namespace cpx {

inline void put(ByteWriter& w, const std::vector<int64_t>& v) {
  w.u64(v.size());
  for (int64_t x : v) w.i64(x);
}

inline void get(ByteReader& r, std::vector<int64_t>& v) {
  for (uint64_t n = r.count(8), i = 0; i < n; ++i) v.push_back(r.i64());
}

inline void put(ByteWriter& w, const AuctionResult& x) {
  put(w, x.zone_price);
  put(w, x.congestion);
  w.u64(x.allocations.size());
  for (const AuctionAllocation& a : x.allocations) {
    w.u32(a.block);
    w.u32(a.zone);
    w.i64(a.devices);
  }
  w.u64(x.acceptances.size());
  for (const AuctionAcceptance& a : x.acceptances) {
    w.u32(a.offer);
    w.i64(a.devices);
  }
  w.u64(x.paradoxically_rejected.size());
  for (uint32_t b : x.paradoxically_rejected) w.u32(b);
}

inline void get(ByteReader& r, AuctionResult& x) {
  get(r, x.zone_price);
  get(r, x.congestion);
  for (uint64_t n = r.count(16), i = 0; i < n; ++i) {
    AuctionAllocation a;
    a.block = r.u32();
    a.zone = r.u32();
    a.devices = r.i64();
    x.allocations.push_back(a);
  }
  for (uint64_t n = r.count(12), i = 0; i < n; ++i) {
    AuctionAcceptance a;
    a.offer = r.u32();
    a.devices = r.i64();
    x.acceptances.push_back(a);
  }
  for (uint64_t n = r.count(4), i = 0; i < n; ++i) x.paradoxically_rejected.push_back(r.u32());
}

inline void put(ByteWriter& w, const AuctionClearingSummary& x) {
  w.i64(x.welfare);
  w.i64(x.solve_ms);
  w.i64(x.first_mip_ms);
  w.u8(x.proven_optimal ? 1 : 0);
  w.i64(x.mip_nodes);
  w.i64(x.pab_rounds);
  w.i64(x.gap_ppb);
  w.u8(x.time_limited ? 1 : 0);
}

inline void get(ByteReader& r, AuctionClearingSummary& x) {
  x.welfare = r.i64();
  x.solve_ms = r.i64();
  x.first_mip_ms = r.i64();
  x.proven_optimal = r.u8() != 0;
  x.mip_nodes = r.i64();
  x.pab_rounds = r.i64();
  x.gap_ppb = r.i64();
  x.time_limited = r.u8() != 0;
}

inline void put(ByteWriter& w, const AuctionInput& x) {
  w.i64(x.day_start);
  w.i64(x.fee_bps);
  w.u64(x.zones.size());
  for (const AuctionZone& z : x.zones) {
    w.u32(z.region);
    w.u32(z.chip_class);
    w.i64(z.scu_per_device);
  }
  w.u64(x.links.size());
  for (const AuctionLink& l : x.links) {
    w.u32(l.from);
    w.u32(l.to);
    w.u32(l.carrier);
    w.i64(l.capacity_gb_per_hour);
    w.i64(l.tariff_per_gb);
  }
  w.u64(x.offers.size());
  for (const AuctionOfferIn& o : x.offers) {
    w.u64(o.id);
    w.u32(o.supplier);
    w.u32(o.zone);
    w.u32(static_cast<uint32_t>(o.hour));
    w.i64(o.devices);
    w.i64(o.price);
  }
  w.u64(x.blocks.size());
  for (const AuctionBlockIn& b : x.blocks) {
    w.u64(b.id);
    w.u32(b.buyer);
    w.u32(static_cast<uint32_t>(b.first_hour));
    w.u32(static_cast<uint32_t>(b.hours));
    w.i64(b.scu_per_hour);
    w.i64(b.min_ratio_bps);
    w.i64(b.limit_per_scu_hour);
    w.i64(b.data_gb_per_hour);
    w.i64(b.reserve);
    w.u64(b.routes.size());
    for (const AuctionRoute& route : b.routes) {
      w.u32(route.zone);
      w.u32(static_cast<uint32_t>(route.links.size()));
      for (uint32_t l : route.links) w.u32(l);
    }
  }
}

inline void get(ByteReader& r, AuctionInput& x) {
  x.day_start = r.i64();
  x.fee_bps = r.i64();
  for (uint64_t n = r.count(16), i = 0; i < n; ++i) {
    AuctionZone z;
    z.region = static_cast<RegionId>(r.u32());
    z.chip_class = static_cast<ChipClassId>(r.u32());
    z.scu_per_device = r.i64();
    x.zones.push_back(z);
  }
  for (uint64_t n = r.count(28), i = 0; i < n; ++i) {
    AuctionLink l;
    l.from = static_cast<RegionId>(r.u32());
    l.to = static_cast<RegionId>(r.u32());
    l.carrier = r.u32();
    l.capacity_gb_per_hour = r.i64();
    l.tariff_per_gb = r.i64();
    x.links.push_back(l);
  }
  for (uint64_t n = r.count(36), i = 0; i < n; ++i) {
    AuctionOfferIn o;
    o.id = r.u64();
    o.supplier = r.u32();
    o.zone = r.u32();
    o.hour = static_cast<int32_t>(r.u32());
    o.devices = r.i64();
    o.price = r.i64();
    x.offers.push_back(o);
  }
  for (uint64_t n = r.count(68), i = 0; i < n; ++i) {
    AuctionBlockIn b;
    b.id = r.u64();
    b.buyer = r.u32();
    b.first_hour = static_cast<int32_t>(r.u32());
    b.hours = static_cast<int32_t>(r.u32());
    b.scu_per_hour = r.i64();
    b.min_ratio_bps = r.i64();
    b.limit_per_scu_hour = r.i64();
    b.data_gb_per_hour = r.i64();
    b.reserve = r.i64();
    for (uint64_t m = r.count(8), j = 0; j < m; ++j) {
      AuctionRoute route;
      route.zone = r.u32();
      const uint32_t k = r.u32();
      if (k > 64) r.fail();
      for (uint32_t l = 0; l < k && r.ok(); ++l) route.links.push_back(r.u32());
      b.routes.push_back(std::move(route));
    }
    x.blocks.push_back(std::move(b));
  }
}

}  // namespace cpx
