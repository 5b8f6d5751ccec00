#include "server/demo_market.hpp"

#include <cctype>
#include <cstdio>

#include "cpx/fixed_point.hpp"

namespace cpx::server {

namespace {

std::string day(Timestamp t) { return format_iso_time(t).substr(0, 10); }

struct Book {
  const char* region;
  const char* chip_class;
  const char* supplier;
  int64_t devices;
  int64_t price_cents;  // tomorrow's best offer, CNY/device-hour x 100
};

// Regions and classes from config/ (regions.json, chip_classes.json); prices in the ranges of
// docs/REFERENCE_DATA.md: western hubs cheaper than eastern ones, Ascend and CPUs cheaper than H100.
constexpr Book kBooks[] = {
    {"NM", "H100", "NMDC", 1024, 1780},        {"GZ", "ASC910B", "HWCLOUD", 2048, 960},
    {"NX", "H20", "ALICLOUD", 1024, 410},      {"JJJ", "H100", "HWCLOUD", 256, 2450},
    {"GS", "CPU-X86-64V", "NMDC", 4096, 120},  {"YRD", "L40S", "ALICLOUD", 256, 750},
};

std::string price(int64_t cents) { return "\"" + format_fixed(cents, 2) + "\""; }

}  // namespace

std::vector<DemoUser> demo_users() {
  std::vector<DemoUser> out;
  for (const char* code : {"OPS1", "HWCLOUD", "ALICLOUD", "NMDC", "GZBD", "CTNET", "CMNET", "BJAI", "SHRENDER", "SZAUTO"}) {
    std::string lower;
    for (const char* c = code; *c; ++c) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
    out.push_back({lower, code, "demo-" + lower, "key-" + lower, "secret-" + lower});
  }
  return out;
}

Timestamp demo_first_day(Timestamp now) {
  const Timestamp tomorrow = next_cst_midnight(now);
  return tomorrow - now < 2 * kNanosPerHour ? tomorrow + kNanosPerDay : tomorrow;
}

std::vector<std::string> demo_symbols(Timestamp now) {
  const Timestamp tomorrow = demo_first_day(now);
  std::vector<std::string> out;
  for (const Book& b : kBooks) out.push_back(std::string(b.region) + "." + b.chip_class + ".D." + day(tomorrow));
  return out;
}

std::vector<std::string> demo_requests(Timestamp now, bool auction) {
  std::vector<std::string> r;
  auto participant = [&](const char* code, const char* name, const char* kind, const char* roles) {
    r.push_back(std::string("{\"cmd\":\"add_participant\",\"code\":\"") + code + "\",\"name\":\"" + name +
                "\",\"kind\":\"" + kind + "\",\"roles\":" + roles + "}");
  };
  participant("OPS1", "CPX market operations", "exchange", "[\"operator\"]");
  participant("HWCLOUD", "Huawei Cloud (demo)", "cloud_vendor", "[\"trade_sell\"]");
  participant("ALICLOUD", "Alibaba Cloud (demo)", "cloud_vendor", "[\"trade_sell\"]");
  participant("NMDC", "Inner Mongolia state data-centre operator (demo)", "state_operator", "[\"trade_sell\"]");
  participant("GZBD", "Guizhou big-data state operator (demo)", "state_operator", "[\"trade_sell\"]");
  // The carriers (CTNET, CMNET, CUNET) come with the network from config/network.json.
  participant("BJAI", "Beijing AI lab (demo buyer)", "buyer", "[\"trade_buy\"]");
  participant("SHRENDER", "Shanghai render farm (demo buyer)", "buyer", "[\"trade_buy\"]");
  participant("SZAUTO", "Shenzhen autonomous driving (demo buyer)", "buyer", "[\"trade_buy\"]");
  r.push_back("{\"cmd\":\"set_fees\",\"participant\":\"OPS1\",\"maker_bps\":5,\"taker_bps\":10}");

  const Timestamp tomorrow = demo_first_day(now);
  const std::string from = "\"" + day(tomorrow) + "\"";
  const std::string to = "\"" + day(tomorrow + 15 * kNanosPerDay) + "\"";
  for (const Book& b : kBooks) {
    r.push_back(std::string("{\"cmd\":\"register_capacity\",\"participant\":\"OPS1\",\"supplier\":\"") + b.supplier +
                "\",\"region\":\"" + b.region + "\",\"class\":\"" + b.chip_class + "\",\"from\":" + from + ",\"to\":" + to +
                ",\"devices\":" + std::to_string(b.devices) + "}");
  }
  // Huawei Cloud's servers in Guizhou stand in the state operator's data centre: revenue 80/20.
  r.push_back("{\"cmd\":\"register_capacity\",\"participant\":\"OPS1\",\"supplier\":\"GZBD\",\"region\":\"GZ\","
              "\"class\":\"ASC910B\",\"from\":" + from + ",\"to\":" + to + ",\"devices\":512}");
  r.push_back("{\"cmd\":\"set_revenue_share\",\"participant\":\"OPS1\",\"supplier\":\"HWCLOUD\",\"shares\":{\"HWCLOUD\":8000,\"GZBD\":2000}}");
  r.push_back("{\"cmd\":\"deposit\",\"participant\":\"OPS1\",\"target\":\"BJAI\",\"amount\":\"5000000.00\"}");
  r.push_back("{\"cmd\":\"deposit\",\"participant\":\"OPS1\",\"target\":\"SHRENDER\",\"amount\":\"800000.00\"}");
  r.push_back("{\"cmd\":\"deposit\",\"participant\":\"OPS1\",\"target\":\"SZAUTO\",\"amount\":\"300000.00\"}");

  // Day instruments for the next three delivery days, an hourly one for tomorrow's working hours; offers
  // resting on three levels per book, a little dearer on later days.
  int n = 0;
  for (int d = 0; d < 3; ++d) {
    const std::string date = day(tomorrow + d * kNanosPerDay);
    for (const Book& b : kBooks) {
      const std::string symbol = std::string(b.region) + "." + b.chip_class + ".D." + date;
      r.push_back("{\"cmd\":\"list_instrument\",\"participant\":\"OPS1\",\"symbol\":\"" + symbol +
                  "\",\"tick\":\"0.01\",\"lot\":1,\"max_order_qty\":2048,\"price_band_pct\":\"30\",\"gate_closure_minutes\":60}");
      for (int level = 0; level < 3; ++level) {
        const int64_t cents = b.price_cents + d * 10 + level * b.price_cents / 50;
        r.push_back(std::string("{\"cmd\":\"new_order\",\"participant\":\"") + b.supplier + "\",\"cl_ord_id\":\"demo-" +
                    std::to_string(++n) + "\",\"symbol\":\"" + symbol + "\",\"side\":\"sell\",\"price\":" + price(cents) +
                    ",\"qty\":" + std::to_string(b.devices / 16) + ",\"post_only\":true}");
      }
    }
  }
  for (int h = 10; h < 13; ++h) {
    char symbol[64];
    std::snprintf(symbol, sizeof symbol, "YRD.L40S.H.%sT%02d", day(tomorrow).c_str(), h);
    r.push_back(std::string("{\"cmd\":\"list_instrument\",\"participant\":\"OPS1\",\"symbol\":\"") + symbol +
                "\",\"tick\":\"0.01\",\"lot\":1,\"max_order_qty\":512}");
    r.push_back(std::string("{\"cmd\":\"new_order\",\"participant\":\"ALICLOUD\",\"cl_ord_id\":\"demo-h") +
                std::to_string(h) + "\",\"symbol\":\"" + symbol + "\",\"side\":\"sell\",\"price\":\"7.50\",\"qty\":32,\"post_only\":true}");
  }
  // Some buying interest below the offers, so the books have two sides.
  for (const Book& b : kBooks) {
    const std::string symbol = std::string(b.region) + "." + b.chip_class + ".D." + day(tomorrow);
    r.push_back("{\"cmd\":\"new_order\",\"participant\":\"BJAI\",\"cl_ord_id\":\"demo-bid-" + std::string(b.region) +
                "\",\"symbol\":\"" + symbol + "\",\"side\":\"buy\",\"price\":" + price(b.price_cents * 95 / 100) +
                ",\"qty\":8}");
  }
  // The day-ahead auction of the next delivery day whose gate (12:00 CST the day before) is still ahead:
  // every supplier offers each hour in two steps (dearer in the daytime peak), three buyers bid blocks —
  // a training job from Beijing that may go west, a render job with partial acceptance, and a
  // latency-bound job that no zone can serve (it ends rejected).
  if (!auction) return r;
  const std::string d = day(demo_auction_day(now));
  r.push_back("{\"cmd\":\"open_auction\",\"participant\":\"OPS1\",\"day\":\"" + d + "\",\"gate_closure\":\"" +
              format_iso_time(demo_auction_day(now) - 12 * kNanosPerHour) + "\"}");
  for (const Book& b : kBooks) {
    for (int h = 0; h < 24; ++h) {
      const int64_t peak = h >= 9 && h < 21 ? 110 : 100;
      for (int step = 0; step < 2; ++step) {
        const int64_t cents = b.price_cents * peak / 100 + step * b.price_cents / 20;
        r.push_back(std::string("{\"cmd\":\"auction_offer\",\"participant\":\"") + b.supplier + "\",\"day\":\"" + d +
                    "\",\"region\":\"" + b.region + "\",\"class\":\"" + b.chip_class + "\",\"hour\":" + std::to_string(h) +
                    ",\"devices\":" + std::to_string(b.devices / 16) + ",\"price\":" + price(cents) + "}");
      }
    }
  }
  r.push_back("{\"cmd\":\"auction_bid\",\"participant\":\"BJAI\",\"cl_ord_id\":\"train-64\",\"day\":\"" + d +
              "\",\"first_hour\":0,\"hours\":12,\"scu_per_hour\":63296,\"classes\":[\"H100\",\"H800\"],\"origin\":\"JJJ\","
              "\"data_gb_per_hour\":400,\"limit_cny_per_scu_hour\":\"0.0200\"}");
  r.push_back("{\"cmd\":\"auction_bid\",\"participant\":\"SHRENDER\",\"cl_ord_id\":\"render-night\",\"day\":\"" + d +
              "\",\"first_hour\":18,\"hours\":6,\"scu_per_hour\":36200,\"min_ratio\":\"0.5\",\"classes\":[\"L40S\",\"H20\","
              "\"ASC910B\"],\"origin\":\"YRD\",\"data_gb_per_hour\":1500,\"limit_cny_per_scu_hour\":\"0.0330\"}");
  r.push_back("{\"cmd\":\"auction_bid\",\"participant\":\"SZAUTO\",\"cl_ord_id\":\"drive-sim\",\"day\":\"" + d +
              "\",\"first_hour\":8,\"hours\":8,\"scu_per_hour\":4736,\"classes\":[\"H20\"],\"origin\":\"GBA\","
              "\"max_latency_ms\":10,\"data_gb_per_hour\":50,\"limit_cny_per_scu_hour\":\"0.0400\"}");
  return r;
}

Timestamp demo_auction_day(Timestamp now) {
  const Timestamp today = cst_day_start(now);
  return now < today + 12 * kNanosPerHour ? today + kNanosPerDay : today + 2 * kNanosPerDay;
}

}  // namespace cpx::server
