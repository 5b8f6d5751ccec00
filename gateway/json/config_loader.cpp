#include "json/config_loader.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace cpx::api {

using nlohmann::json;

std::string default_config_dir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path dir = exe.parent_path().parent_path() / "share" / "cpx" / "config";
    if (fs::exists(dir / "regions.json", ec)) return dir.string();
  }
  return "config";
}

namespace {

Result<json> read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error("config_missing", "cannot open " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  json doc = json::parse(buf.str(), nullptr, false);
  if (doc.is_discarded()) return make_error("config_invalid", path + " is not valid JSON");
  return doc;
}

Result<bool> append(const std::string& path, const char* list, const char* cmd, std::vector<std::string>& out) {
  auto doc = read_json(path);
  if (!doc) return doc.error();
  auto it = doc->find(list);
  if (it == doc->end() || !it->is_array()) {
    return make_error("config_invalid", path + " has no \"" + list + "\" array");
  }
  for (json entry : *it) {
    if (!entry.is_object()) return make_error("config_invalid", path + ": every entry of \"" + list + "\" must be an object");
    entry.erase("source");  // documentation only
    entry.erase("measure");
    entry["cmd"] = cmd;
    out.push_back(entry.dump());
  }
  return true;
}

}  // namespace

Result<std::vector<std::string>> load_reference_requests(const std::string& dir) {
  std::vector<std::string> out;
  if (auto r = append(dir + "/regions.json", "regions", "add_region", out); !r) return r.error();
  if (auto r = append(dir + "/chip_classes.json", "classes", "add_chip_class", out); !r) return r.error();
  return out;
}

Result<std::vector<std::string>> load_network_requests(const std::string& dir) {
  const std::string path = dir + "/network.json";
  auto doc = read_json(path);
  if (!doc) return doc.error();
  std::vector<std::string> out;
  auto carriers = doc->find("carriers");
  if (carriers == doc->end() || !carriers->is_array()) return make_error("config_invalid", path + " has no \"carriers\" array");
  for (const json& c : *carriers) {
    if (!c.is_object() || !c.contains("code") || !c.contains("name"))
      return make_error("config_invalid", path + ": every carrier needs \"code\" and \"name\"");
    out.push_back(json{{"cmd", "add_participant"}, {"code", c["code"]}, {"name", c["name"]}, {"kind", "carrier"},
                       {"roles", json::array({"carrier"})}}
                      .dump());
  }
  if (auto r = append(path, "links", "add_link", out); !r) return r.error();
  return out;
}

}  // namespace cpx::api
