// SPDX-License-Identifier: MIT
// Tests for ask_device(): the whole ONVIF conversation against an in-process fake device
// that checks every UsernameToken and records every request.
#include <chrono>
#include <ctime>
#include <map>

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>

#include "onvif.hpp"

using namespace cctv;
using namespace cctv::discover;

namespace {

std::string envelope(const std::string& body) {
  return "<?xml version=\"1.0\"?><e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\" "
         "xmlns:tds=\"http://www.onvif.org/ver10/device/wsdl\" xmlns:trt=\"http://www.onvif.org/ver10/media/wsdl\" "
         "xmlns:tr2=\"http://www.onvif.org/ver20/media/wsdl\" xmlns:tt=\"http://www.onvif.org/ver10/schema\" "
         "xmlns:ter=\"http://www.onvif.org/ver10/error\"><e:Body>" +
         body + "</e:Body></e:Envelope>";
}

std::string fault(const std::string& subcode, const std::string& reason) {
  return envelope("<e:Fault><e:Code><e:Value>e:Sender</e:Value><e:Subcode><e:Value>" + subcode +
                  "</e:Value></e:Subcode></e:Code><e:Reason><e:Text xml:lang=\"en\">" + reason +
                  "</e:Text></e:Reason></e:Fault>");
}

std::string base64_decode(const std::string& in) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned bits = 0;
  int n = 0;
  for (const char c : in) {
    const size_t v = kAlphabet.find(c);
    if (v == std::string::npos) continue;
    bits = (bits << 6) | static_cast<unsigned>(v);
    n += 6;
    if (n >= 8) {
      n -= 8;
      out += static_cast<char>((bits >> n) & 0xff);
    }
  }
  return out;
}

std::chrono::system_clock::time_point parse_created(const std::string& s) {
  std::tm tm{};
  if (s.size() != 20 || s.back() != 'Z' || strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) == nullptr) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// A device with Media and Media2 that wants a valid UsernameToken for all
// but GetSystemDateAndTime (and, with `http_digest`, HTTP Digest as well),
// and refuses a Created more than 5 s off its own clock.
struct FakeDevice {
  std::string user = "admin";
  std::string password = "s3cret";
  std::chrono::seconds clock{0};  // the device's clock - ours
  bool services = true;           // GetServices answers (else a fault: GetCapabilities)
  bool media2 = true;
  bool http_digest = false;
  bool zero_hosts = false;  // XAddrs and URIs with 0.0.0.0
  bool unreachable = false;

  std::vector<std::string> ops;  // "Op" or "Op+auth", in order
  std::vector<HttpRequest> requests;
  int http_401 = 0;

  static std::string op_of(XmlNode body) {
    static const std::vector<std::pair<std::string_view, std::string_view>> kOps = {
        {ns::kDevice, "GetSystemDateAndTime"}, {ns::kDevice, "GetDeviceInformation"},
        {ns::kDevice, "GetServices"},          {ns::kDevice, "GetCapabilities"},
        {ns::kMedia, "GetProfiles"},           {ns::kMedia, "GetStreamUri"},
        {ns::kMedia, "GetSnapshotUri"},        {ns::kMedia2, "GetProfiles"},
        {ns::kMedia2, "GetStreamUri"},         {ns::kMedia2, "GetSnapshotUri"}};
    for (const auto& [n, op] : kOps) {
      if (body.child(n, op)) return std::string(n == ns::kMedia2 ? "2:" : "") + std::string(op);
    }
    return "?";
  }

  // "" when the token is valid, else why not.
  std::string check_token(const XmlDoc& doc) const {
    const XmlNode t = doc.root().find(ns::kWsse, "UsernameToken");
    if (!t) return "no token";
    const std::string created = t.child(ns::kWsu, "Created").text();
    const auto when = parse_created(created);
    const auto device_now = std::chrono::system_clock::now() + clock;
    if (when == std::chrono::system_clock::time_point() || std::chrono::abs(when - device_now) > std::chrono::seconds(5)) {
      return "bad Created " + created;
    }
    const std::string nonce = base64_decode(t.child(ns::kWsse, "Nonce").text());
    if (t.child(ns::kWsse, "Username").text() != user ||
        t.child(ns::kWsse, "Password").text() != password_digest(nonce, created, password)) {
      return "wrong digest";
    }
    return {};
  }

  std::string host() const { return zero_hosts ? "0.0.0.0" : "10.0.0.5"; }

  std::string answer(const std::string& op) const {
    if (op == "GetSystemDateAndTime") {
      const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + clock);
      std::tm tm{};
      gmtime_r(&t, &tm);
      return envelope(fmt::format(
          "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>"
          "<tt:UTCDateTime><tt:Time><tt:Hour>{}</tt:Hour><tt:Minute>{}</tt:Minute><tt:Second>{}</tt:Second></tt:Time>"
          "<tt:Date><tt:Year>{}</tt:Year><tt:Month>{}</tt:Month><tt:Day>{}</tt:Day></tt:Date></tt:UTCDateTime>"
          "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>",
          tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday));
    }
    if (op == "GetDeviceInformation") {
      return envelope("<tds:GetDeviceInformationResponse><tds:Manufacturer>ACME</tds:Manufacturer>"
                      "<tds:Model>IPC-2000</tds:Model><tds:FirmwareVersion>1.2.3</tds:FirmwareVersion>"
                      "<tds:SerialNumber>SN1</tds:SerialNumber><tds:HardwareId>1</tds:HardwareId>"
                      "</tds:GetDeviceInformationResponse>");
    }
    if (op == "GetServices") {
      if (!services) return fault("ter:ActionNotSupported", "not supported");
      std::string s = fmt::format("<tds:Service><tds:Namespace>{}</tds:Namespace><tds:XAddr>http://{}/onvif/media"
                                  "</tds:XAddr></tds:Service>", ns::kMedia, host());
      if (media2) {
        s += fmt::format("<tds:Service><tds:Namespace>{}</tds:Namespace><tds:XAddr>http://{}/onvif/media2"
                         "</tds:XAddr></tds:Service>", ns::kMedia2, host());
      }
      return envelope("<tds:GetServicesResponse>" + s + "</tds:GetServicesResponse>");
    }
    if (op == "GetCapabilities") {
      return envelope(fmt::format("<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Media><tt:XAddr>"
                                  "http://{}/onvif/media</tt:XAddr></tt:Media></tds:Capabilities>"
                                  "</tds:GetCapabilitiesResponse>", host()));
    }
    if (op == "GetProfiles") {
      return envelope(
          "<trt:GetProfilesResponse>"
          "<trt:Profiles token=\"main\"><tt:Name>Main</tt:Name><tt:VideoEncoderConfiguration>"
          "<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>1920</tt:Width><tt:Height>1080</tt:Height>"
          "</tt:Resolution><tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit><tt:BitrateLimit>4096"
          "</tt:BitrateLimit></tt:RateControl></tt:VideoEncoderConfiguration></trt:Profiles>"
          "<trt:Profiles token=\"sub\"><tt:Name>Sub</tt:Name><tt:VideoEncoderConfiguration>"
          "<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>640</tt:Width><tt:Height>360</tt:Height>"
          "</tt:Resolution></tt:VideoEncoderConfiguration></trt:Profiles>"
          "</trt:GetProfilesResponse>");
    }
    if (op == "2:GetProfiles") {
      return envelope(
          "<tr2:GetProfilesResponse>"
          "<tr2:Profiles token=\"main\"><tr2:Name>Main</tr2:Name><tr2:Configurations><tr2:VideoEncoder>"
          "<tt:Encoding>H265</tt:Encoding><tt:Resolution><tt:Width>2560</tt:Width><tt:Height>1440</tt:Height>"
          "</tt:Resolution></tr2:VideoEncoder></tr2:Configurations></tr2:Profiles>"
          "</tr2:GetProfilesResponse>");
    }
    if (op == "GetStreamUri") {
      return envelope(fmt::format("<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>\n  rtsp://{}:554/media1?p=x&amp;t=1"
                                  "\n</tt:Uri></trt:MediaUri></trt:GetStreamUriResponse>", host()));
    }
    if (op == "GetSnapshotUri") return fault("ter:ActionNotSupported", "no snapshots");
    if (op == "2:GetStreamUri") {
      return envelope(fmt::format("<tr2:GetStreamUriResponse><tr2:Uri>rtsp://{}:554/media2</tr2:Uri>"
                                  "</tr2:GetStreamUriResponse>", host()));
    }
    if (op == "2:GetSnapshotUri") {
      return envelope(fmt::format("<tr2:GetSnapshotUriResponse><tr2:Uri>http://{}/snap.jpg</tr2:Uri>"
                                  "</tr2:GetSnapshotUriResponse>", host()));
    }
    return fault("ter:ActionNotSupported", "unknown");
  }

  Result<HttpResponse> operator()(const HttpRequest& r) {
    requests.push_back(r);
    if (unreachable) return fail(ExitCode::kUnreachable, r.url + ": cannot connect", "Connection refused");
    if (http_digest && r.authorization.find("Digest username=\"" + user + "\"") != 0) {
      ++http_401;
      return HttpResponse{401, {"Basic realm=\"cam\"", "Digest realm=\"cam\", qop=\"auth\", nonce=\"n1\""},
                          "<html>401</html>"};
    }
    auto doc = XmlDoc::parse(r.body);
    BOOST_REQUIRE(doc);
    const std::string op = op_of(soap_body(*doc));
    const bool has_token = static_cast<bool>(doc->root().find(ns::kWsse, "UsernameToken"));
    ops.push_back(has_token ? op + "+auth" : op);
    if (op != "GetSystemDateAndTime") {
      if (const std::string why = check_token(*doc); !why.empty()) {
        return HttpResponse{400, {}, fault("ter:NotAuthorized", "Sender not Authorized (" + why + ")")};
      }
    }
    return HttpResponse{200, {}, answer(op)};
  }
};

// Runs ask_device() for a device at 10.0.0.5 through `fake`.
Device ask(FakeDevice& fake, const std::string& user, const std::string& password) {
  Device d;
  d.address = "10.0.0.5";
  d.xaddr = "http://10.0.0.5/onvif/device_service";
  SoapClient soap([&fake](const HttpRequest& r) { return fake(r); }, Credentials{user, password});
  ask_device(d, soap);
  return d;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(discover_conversation)

BOOST_AUTO_TEST_CASE(asks_clock_first_without_credentials_then_signs_the_rest) {
  FakeDevice fake;
  const Device d = ask(fake, "admin", "s3cret");
  BOOST_TEST(d.error.empty(), d.error);
  BOOST_REQUIRE(!fake.ops.empty());
  BOOST_TEST(fake.ops[0] == "GetSystemDateAndTime");
  for (size_t i = 1; i < fake.ops.size(); ++i) BOOST_TEST(fake.ops[i].ends_with("+auth"), fake.ops[i]);
  BOOST_TEST(d.info.maker == "ACME");
  BOOST_TEST(d.info.model == "IPC-2000");
  BOOST_TEST(d.info.firmware == "1.2.3");
  BOOST_REQUIRE(d.clock_offset_s.has_value());
  BOOST_TEST(std::abs(*d.clock_offset_s) <= 1);
}

BOOST_AUTO_TEST_CASE(password_never_travels_in_clear) {
  FakeDevice fake;
  fake.http_digest = true;
  (void)ask(fake, "admin", "s3cret");
  BOOST_REQUIRE(!fake.requests.empty());
  for (const HttpRequest& r : fake.requests) {
    BOOST_TEST(r.body.find("s3cret") == std::string::npos);
    BOOST_TEST(r.authorization.find("s3cret") == std::string::npos);
    BOOST_TEST(r.content_type.starts_with("application/soap+xml; charset=utf-8; action=\"http://www.onvif.org/"));
  }
}

BOOST_AUTO_TEST_CASE(signs_with_the_camera_clock_when_it_is_off) {
  FakeDevice fake;
  fake.clock = std::chrono::hours(-24 * 180);  // reset after a reboot: half a year back (HA #121952)
  const Device d = ask(fake, "admin", "s3cret");
  BOOST_TEST(d.error.empty(), d.error);
  BOOST_REQUIRE(d.clock_offset_s.has_value());
  BOOST_TEST(std::abs(*d.clock_offset_s + 180L * 86400) <= 1);
  BOOST_TEST(d.profiles.size() == 2u);
}

BOOST_AUTO_TEST_CASE(media2_h265_profile_merges_with_media_by_token) {
  FakeDevice fake;
  const Device d = ask(fake, "admin", "s3cret");
  BOOST_REQUIRE_EQUAL(d.profiles.size(), 2u);
  const Profile& main = d.profiles[0];
  BOOST_TEST(main.token == "main");
  BOOST_TEST(main.codec == "hevc");
  BOOST_TEST(main.width == 2560);
  BOOST_TEST(main.fps == 25.0);  // only Media said
  BOOST_TEST(main.bitrate_kbps == 4096);
  BOOST_TEST(main.stream_uri == "rtsp://10.0.0.5:554/media2");
  BOOST_TEST(main.snapshot_uri == "http://10.0.0.5/snap.jpg");
  const Profile& sub = d.profiles[1];
  BOOST_TEST(sub.token == "sub");
  BOOST_TEST(sub.codec == "h264");
  BOOST_TEST(sub.stream_uri == "rtsp://10.0.0.5:554/media1?p=x&t=1");
  BOOST_TEST(sub.snapshot_uri.empty());  // a fault: no snapshots, not an error
  // Each URI asked once, from the service that described the profile.
  BOOST_TEST(std::count(fake.ops.begin(), fake.ops.end(), "2:GetStreamUri+auth") == 1);
  BOOST_TEST(std::count(fake.ops.begin(), fake.ops.end(), "GetStreamUri+auth") == 1);
}

BOOST_AUTO_TEST_CASE(falls_back_to_capabilities_and_fixes_zero_hosts) {
  FakeDevice fake;
  fake.services = false;
  fake.zero_hosts = true;
  const Device d = ask(fake, "admin", "s3cret");
  BOOST_TEST(d.error.empty(), d.error);
  BOOST_TEST(std::count(fake.ops.begin(), fake.ops.end(), "GetCapabilities+auth") == 1);
  BOOST_REQUIRE_EQUAL(d.profiles.size(), 2u);
  BOOST_TEST(d.profiles[0].codec == "h264");  // no Media2 without GetServices
  BOOST_TEST(d.profiles[0].stream_uri == "rtsp://10.0.0.5:554/media1?p=x&t=1");
  for (const HttpRequest& r : fake.requests) BOOST_TEST(r.url.find("0.0.0.0") == std::string::npos, r.url);
}

BOOST_AUTO_TEST_CASE(wrong_password_is_an_auth_error_asked_once) {
  FakeDevice fake;
  const Device d = ask(fake, "admin", "bad-pass-123");
  BOOST_TEST(to_int(d.code) == to_int(ExitCode::kAuth));
  BOOST_TEST(!d.needs_credentials);
  BOOST_TEST(d.error.find("NotAuthorized") != std::string::npos, d.error);
  BOOST_TEST(d.error.find("bad-pass-123") == std::string::npos, d.error);  // the password is not in the message
  // Clock, then one refused call: no retries towards a lockout.
  BOOST_TEST(fake.ops.size() == 2u);
}

BOOST_AUTO_TEST_CASE(without_credentials_the_device_is_listed_as_needing_them) {
  FakeDevice fake;
  const Device d = ask(fake, "", "");
  BOOST_TEST(to_int(d.code) == to_int(ExitCode::kAuth));
  BOOST_TEST(d.needs_credentials);
  BOOST_TEST(d.clock_offset_s.has_value());
  for (const std::string& op : fake.ops) BOOST_TEST(!op.ends_with("+auth"));
}

BOOST_AUTO_TEST_CASE(answers_one_http_digest_challenge_and_reuses_it) {
  FakeDevice fake;
  fake.http_digest = true;
  const Device d = ask(fake, "admin", "s3cret");
  BOOST_TEST(d.error.empty(), d.error);
  BOOST_TEST(fake.http_401 == 1);
  BOOST_TEST(d.profiles.size() == 2u);
  // The nonce count goes up with each request on the same nonce.
  BOOST_TEST(fake.requests.back().authorization.find("nc=00000001") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(http_401_after_digest_is_an_auth_error) {
  FakeDevice fake;
  fake.http_digest = true;
  fake.user = "someone-else";
  const Device d = ask(fake, "admin", "s3cret");
  BOOST_TEST(to_int(d.code) == to_int(ExitCode::kAuth));
  BOOST_TEST(d.error.find("401") != std::string::npos, d.error);
  BOOST_TEST(fake.http_401 == 2);  // the challenge, and the refusal of its answer
}

BOOST_AUTO_TEST_CASE(unreachable_device_is_exit_3) {
  FakeDevice fake;
  fake.unreachable = true;
  const Device d = ask(fake, "admin", "s3cret");
  BOOST_TEST(to_int(d.code) == to_int(ExitCode::kUnreachable));
  BOOST_TEST(fake.requests.size() == 1u);
  BOOST_TEST(d.profiles.empty());
}

BOOST_AUTO_TEST_SUITE_END()
