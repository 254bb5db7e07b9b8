// SPDX-License-Identifier: MIT
// Tests for cctv-discover's outputs (table, JSON, conf), --host forms and the exit status.
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "discover.hpp"
#include "discover_report.hpp"

using namespace cctv;
using namespace cctv::discover;

namespace {

Device camera() {
  Device d;
  d.address = "10.0.0.5";
  d.xaddr = "http://10.0.0.5/onvif/device_service";
  d.scopes = {"Front Door", "IPC-2000", "Garage"};
  d.info = {"ACME", "IPC-2000", "1.2.3", "SN1"};
  d.clock_offset_s = -3;
  Profile main;
  main.token = "main";
  main.name = "Main";
  main.codec = "hevc";
  main.width = 2560;
  main.height = 1440;
  main.fps = 25;
  main.bitrate_kbps = 4096;
  main.stream_uri = "rtsp://admin:secret@10.0.0.5:554/media2?a=1&b=2";
  main.snapshot_uri = "http://10.0.0.5/snap.jpg";
  Profile sub;
  sub.token = "sub";
  sub.codec = "h264";
  sub.width = 640;
  sub.height = 360;
  sub.stream_uri = "rtsp://10.0.0.5:554/sub";
  d.profiles = {sub, main};
  return d;
}

Device failed(const std::string& address, ExitCode code, bool needs_credentials) {
  Device d;
  d.address = address;
  d.xaddr = "http://" + address + "/onvif/device_service";
  d.code = code;
  d.error = address + ": needs a user name and password (--user): HTTP 401";
  d.needs_credentials = needs_credentials;
  return d;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(discover_report)

BOOST_AUTO_TEST_CASE(json_has_documented_fields_redacted_and_nulls) {
  const auto v = boost::json::parse(json_report({camera(), failed("10.0.0.7", ExitCode::kAuth, true)}));
  const auto& doc = v.as_object();
  BOOST_TEST(doc.at("tool").as_string() == "cctv-discover");
  const auto& devices = doc.at("devices").as_array();
  BOOST_REQUIRE_EQUAL(devices.size(), 2u);
  const auto& d = devices[0].as_object();
  for (const char* key : {"address", "xaddr", "name", "hardware", "location", "maker", "model", "firmware", "serial",
                          "clock_offset_s", "profiles", "error"}) {
    BOOST_TEST(d.contains(key), key);
  }
  BOOST_TEST(d.at("name").as_string() == "Front Door");
  BOOST_TEST(d.at("clock_offset_s").as_int64() == -3);
  BOOST_TEST(d.at("error").is_null());
  const auto& p = d.at("profiles").as_array()[1].as_object();
  for (const char* key : {"token", "name", "codec", "width", "height", "fps", "bitrate_kbps", "stream_uri",
                          "snapshot_uri", "check"}) {
    BOOST_TEST(p.contains(key), key);
  }
  BOOST_TEST(p.at("stream_uri").as_string() == "rtsp://admin:***@10.0.0.5:554/media2?a=1&b=2");
  BOOST_TEST(p.at("fps").to_number<double>() == 25.0);
  const auto& sub = d.at("profiles").as_array()[0].as_object();
  BOOST_TEST(sub.at("name").is_null());
  BOOST_TEST(sub.at("fps").is_null());
  BOOST_TEST(sub.at("snapshot_uri").is_null());
  const auto& f = devices[1].as_object();
  BOOST_TEST(f.at("maker").is_null());
  BOOST_TEST(f.at("clock_offset_s").is_null());
  BOOST_TEST(f.at("profiles").as_array().empty());
  BOOST_TEST(!f.at("error").is_null());
}

BOOST_AUTO_TEST_CASE(table_has_a_row_per_profile_and_hides_passwords) {
  const std::string t = text_report({camera(), failed("10.0.0.7", ExitCode::kAuth, true)});
  BOOST_TEST(t.starts_with("ADDRESS"));
  BOOST_TEST(t.find("secret") == std::string::npos);
  BOOST_TEST(t.find("rtsp://admin:***@10.0.0.5:554/media2?a=1&b=2") != std::string::npos);
  BOOST_TEST(t.find("2560x1440") != std::string::npos);
  BOOST_TEST(t.find("error: 10.0.0.7: needs a user name") != std::string::npos);
  BOOST_TEST(std::count(t.begin(), t.end(), '\n') == 4);  // header, two profiles, the error
  BOOST_TEST(text_report({}).empty());
}

BOOST_AUTO_TEST_CASE(conf_has_the_main_profile_without_credentials) {
  const std::string c = conf_report({camera(), failed("10.0.0.7", ExitCode::kAuth, true)}, "admin");
  BOOST_TEST(c.find("CCTV_URL=rtsp://10.0.0.5:554/media2?a=1&b=2\n") != std::string::npos, c);
  BOOST_TEST(c.find("CCTV_USER=admin\n") != std::string::npos);
  BOOST_TEST(c.find("/etc/cctv/front-door.conf") != std::string::npos);
  BOOST_TEST(c.find("secret") == std::string::npos);
  BOOST_TEST(c.find("***") == std::string::npos);
  BOOST_TEST(c.find("# 10.0.0.7: no stream URI") != std::string::npos);
  BOOST_TEST(std::count(c.begin(), c.end(), '=') >= 2);
  // One CCTV_URL per device with a stream.
  size_t n = 0;
  for (size_t at = c.find("CCTV_URL="); at != std::string::npos; at = c.find("CCTV_URL=", at + 1)) ++n;
  BOOST_TEST(n == 1u);
  BOOST_TEST(conf_report({camera()}, "").find("CCTV_USER") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(unit_names_are_systemd_friendly) {
  Device d = camera();
  BOOST_TEST(unit_name(d) == "front-door");
  d.scopes.name = "  Caméra №1 / Hof ";
  BOOST_TEST(unit_name(d) == "cam-ra-1-hof");
  d.scopes.name.clear();
  BOOST_TEST(unit_name(d) == "10-0-0-5");
}

BOOST_AUTO_TEST_CASE(host_forms_become_device_service_urls) {
  BOOST_TEST(*host_xaddr("10.0.0.5") == "http://10.0.0.5/onvif/device_service");
  BOOST_TEST(*host_xaddr("10.0.0.5:8000") == "http://10.0.0.5:8000/onvif/device_service");
  BOOST_TEST(*host_xaddr("[fe80::1]:2020") == "http://[fe80::1]:2020/onvif/device_service");
  BOOST_TEST(*host_xaddr("http://10.0.0.5:8000/onvif/devices") == "http://10.0.0.5:8000/onvif/devices");
  BOOST_TEST(!host_xaddr("rtsp://10.0.0.5/").has_value());
  BOOST_TEST(!host_xaddr("10.0.0.5:0").has_value());
}

BOOST_AUTO_TEST_CASE(exit_status_is_the_worst_device_but_missing_credentials_do_not_count) {
  BOOST_TEST(to_int(exit_status({})) == 3);
  BOOST_TEST(to_int(exit_status({camera()})) == 0);
  BOOST_TEST(to_int(exit_status({camera(), failed("10.0.0.7", ExitCode::kAuth, true)})) == 0);
  BOOST_TEST(to_int(exit_status({camera(), failed("10.0.0.7", ExitCode::kAuth, false)})) == 4);
  BOOST_TEST(to_int(exit_status({failed("10.0.0.7", ExitCode::kUnreachable, false), camera()})) == 3);
  Device checked = camera();
  checked.profiles[0].check = StreamCheck{ExitCode::kNotFound, "404", "", 0, 0, std::nullopt};
  BOOST_TEST(to_int(exit_status({checked})) == 5);
}

BOOST_AUTO_TEST_SUITE_END()
