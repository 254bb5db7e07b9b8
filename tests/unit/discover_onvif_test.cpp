// SPDX-License-Identifier: MIT
// Tests for reading ONVIF answers (samples written after the ONVIF schemas, with the quirks cameras add).
#include <boost/test/unit_test.hpp>

#include "onvif.hpp"

using namespace cctv;
using namespace cctv::discover;

namespace {

// Parses `xml` (kept alive in `holder`) and returns its SOAP Body.
XmlNode body_of(const std::string& xml, std::optional<XmlDoc>& holder) {
  auto doc = XmlDoc::parse(xml);
  BOOST_REQUIRE_MESSAGE(doc, "sample does not parse");
  holder.emplace(std::move(*doc));
  return soap_body(*holder);
}

const char* const kDateTime = R"(<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"
    xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">
 <SOAP-ENV:Body>
  <tds:GetSystemDateAndTimeResponse>
   <tds:SystemDateAndTime>
    <tt:DateTimeType>Manual</tt:DateTimeType>
    <tt:DaylightSavings>false</tt:DaylightSavings>
    <tt:TimeZone><tt:TZ>CST-8</tt:TZ></tt:TimeZone>
    <tt:UTCDateTime>
     <tt:Time><tt:Hour>9</tt:Hour><tt:Minute>30</tt:Minute><tt:Second>5</tt:Second></tt:Time>
     <tt:Date><tt:Year>2026</tt:Year><tt:Month>12</tt:Month><tt:Day>7</tt:Day></tt:Date>
    </tt:UTCDateTime>
    <tt:LocalDateTime>
     <tt:Time><tt:Hour>17</tt:Hour><tt:Minute>30</tt:Minute><tt:Second>5</tt:Second></tt:Time>
     <tt:Date><tt:Year>2026</tt:Year><tt:Month>12</tt:Month><tt:Day>7</tt:Day></tt:Date>
    </tt:LocalDateTime>
   </tds:SystemDateAndTime>
  </tds:GetSystemDateAndTimeResponse>
 </SOAP-ENV:Body>
</SOAP-ENV:Envelope>)";

// Media (ver10) GetProfiles with the odd prefixes some firmware uses (go2rtc's "Unknown" sample has MC1:).
const char* const kMediaProfiles = R"(<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
    xmlns:MC1="http://www.onvif.org/ver10/media/wsdl" xmlns:MC2="http://www.onvif.org/ver10/schema">
 <env:Body>
  <MC1:GetProfilesResponse>
   <MC1:Profiles token="Profile_1" fixed="true">
    <MC2:Name>mainStream</MC2:Name>
    <MC2:VideoSourceConfiguration token="VSC_1"><MC2:Name>VS</MC2:Name><MC2:UseCount>2</MC2:UseCount>
     <MC2:SourceToken>VS_1</MC2:SourceToken><MC2:Bounds x="0" y="0" width="2560" height="1440"/>
    </MC2:VideoSourceConfiguration>
    <MC2:VideoEncoderConfiguration token="VEC_1">
     <MC2:Name>VE1</MC2:Name><MC2:UseCount>1</MC2:UseCount>
     <MC2:Encoding>H264</MC2:Encoding>
     <MC2:Resolution><MC2:Width>2560</MC2:Width><MC2:Height>1440</MC2:Height></MC2:Resolution>
     <MC2:Quality>4</MC2:Quality>
     <MC2:RateControl><MC2:FrameRateLimit>25</MC2:FrameRateLimit><MC2:EncodingInterval>1</MC2:EncodingInterval>
      <MC2:BitrateLimit>4096</MC2:BitrateLimit></MC2:RateControl>
     <MC2:H264><MC2:GovLength>50</MC2:GovLength><MC2:H264Profile>Main</MC2:H264Profile></MC2:H264>
    </MC2:VideoEncoderConfiguration>
   </MC1:Profiles>
   <MC1:Profiles token="Profile_2" fixed="true">
    <MC2:Name>subStream</MC2:Name>
    <MC2:VideoEncoderConfiguration token="VEC_2">
     <MC2:Encoding>H264</MC2:Encoding>
     <MC2:Resolution><MC2:Width>640</MC2:Width><MC2:Height>360</MC2:Height></MC2:Resolution>
     <MC2:RateControl><MC2:FrameRateLimit>15</MC2:FrameRateLimit><MC2:BitrateLimit>512</MC2:BitrateLimit></MC2:RateControl>
    </MC2:VideoEncoderConfiguration>
   </MC1:Profiles>
   <MC1:Profiles token="Profile_3"><MC2:Name>audio only</MC2:Name></MC1:Profiles>
  </MC1:GetProfilesResponse>
 </env:Body>
</env:Envelope>)";

// Media2 GetProfiles, default namespaces instead of prefixes; Profile_1 is H.265 here.
const char* const kMedia2Profiles = R"(<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope">
 <Body>
  <GetProfilesResponse xmlns="http://www.onvif.org/ver20/media/wsdl">
   <Profiles token="Profile_1" fixed="true">
    <Name>mainStream</Name>
    <Configurations>
     <VideoSource token="VSC_1"><Name xmlns="http://www.onvif.org/ver10/schema">VS</Name></VideoSource>
     <VideoEncoder token="VEC_1" GovLength="50" Profile="Main">
      <Name xmlns="http://www.onvif.org/ver10/schema">VE1</Name>
      <Encoding xmlns="http://www.onvif.org/ver10/schema">H265</Encoding>
      <Resolution xmlns="http://www.onvif.org/ver10/schema"><Width>2560</Width><Height>1440</Height></Resolution>
      <RateControl xmlns="http://www.onvif.org/ver10/schema" ConstantBitRate="false">
       <FrameRateLimit>25.000000</FrameRateLimit><BitrateLimit>2048</BitrateLimit></RateControl>
      <Quality xmlns="http://www.onvif.org/ver10/schema">4</Quality>
     </VideoEncoder>
    </Configurations>
   </Profiles>
   <Profiles token="Profile_4">
    <Name xmlns="http://www.onvif.org/ver10/schema">thirdStream</Name>
    <Configurations><VideoEncoder token="VEC_4">
     <Encoding xmlns="http://www.onvif.org/ver10/schema">JPEG</Encoding>
     <Resolution xmlns="http://www.onvif.org/ver10/schema"><Width>1280</Width><Height>720</Height></Resolution>
     <RateControl xmlns="http://www.onvif.org/ver10/schema"><FrameRateLimit>12.5</FrameRateLimit></RateControl>
    </VideoEncoder></Configurations>
   </Profiles>
  </GetProfilesResponse>
 </Body>
</Envelope>)";

const char* const kStreamUri = R"(<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">
 <s:Body xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema">
  <trt:GetStreamUriResponse><trt:MediaUri>
   <tt:Uri>
      rtsp://192.168.1.64:554/cam/realmonitor?channel=1&amp;subtype=0&amp;unicast=true&amp;proto=Onvif
   </tt:Uri>
   <tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>
   <tt:Timeout>PT0S</tt:Timeout>
  </trt:MediaUri></trt:GetStreamUriResponse>
 </s:Body>
</s:Envelope>)";

const char* const kMedia2SnapshotUri = R"(<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>
<ns2:GetSnapshotUriResponse xmlns:ns2="http://www.onvif.org/ver20/media/wsdl"><ns2:Uri>http://0.0.0.0/onvif/snapshot?token=Profile_1&amp;size=full</ns2:Uri></ns2:GetSnapshotUriResponse>
</s:Body></s:Envelope>)";

const char* const kServices = R"(<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
 xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><env:Body><tds:GetServicesResponse>
 <tds:Service><tds:Namespace>http://www.onvif.org/ver10/device/wsdl</tds:Namespace>
  <tds:XAddr>http://192.168.1.64/onvif/device_service</tds:XAddr>
  <tds:Version><tt:Major xmlns:tt="http://www.onvif.org/ver10/schema">2</tt:Major></tds:Version></tds:Service>
 <tds:Service><tds:Namespace>http://www.onvif.org/ver10/media/wsdl</tds:Namespace>
  <tds:XAddr> http://192.168.1.64/onvif/Media </tds:XAddr></tds:Service>
 <tds:Service><tds:Namespace>http://www.onvif.org/ver20/media/wsdl</tds:Namespace>
  <tds:XAddr>http://192.168.1.64/onvif/Media2</tds:XAddr></tds:Service>
 <tds:Service><tds:Namespace>http://www.onvif.org/ver10/events/wsdl</tds:Namespace>
  <tds:XAddr>http://192.168.1.64/onvif/Events</tds:XAddr></tds:Service>
</tds:GetServicesResponse></env:Body></env:Envelope>)";

const char* const kCapabilities = R"(<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
 xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><env:Body>
 <tds:GetCapabilitiesResponse><tds:Capabilities>
  <tt:Device><tt:XAddr>http://10.0.0.5/onvif/device_service</tt:XAddr></tt:Device>
  <tt:Media><tt:XAddr>http://10.0.0.5:8000/onvif/media_service</tt:XAddr>
   <tt:StreamingCapabilities><tt:RTP_TCP>true</tt:RTP_TCP></tt:StreamingCapabilities></tt:Media>
 </tds:Capabilities></tds:GetCapabilitiesResponse></env:Body></env:Envelope>)";

const char* const kDeviceInformation = R"(<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>
<GetDeviceInformationResponse xmlns="http://www.onvif.org/ver10/device/wsdl">
 <Manufacturer>ACME &amp; Sons</Manufacturer><Model>IPC-2000</Model><FirmwareVersion>V5.6.3 build 200101</FirmwareVersion>
 <SerialNumber>SN123</SerialNumber><HardwareId>88</HardwareId>
</GetDeviceInformationResponse></env:Body></env:Envelope>)";

}  // namespace

BOOST_AUTO_TEST_SUITE(discover_onvif)

BOOST_AUTO_TEST_CASE(reads_camera_utc_clock) {
  std::optional<XmlDoc> d;
  auto t = parse_system_date_time(body_of(kDateTime, d));
  BOOST_REQUIRE(t);
  BOOST_TEST(std::chrono::system_clock::to_time_t(*t) == 1796635805);
}

BOOST_AUTO_TEST_CASE(clock_without_utc_is_an_error) {
  std::optional<XmlDoc> d;
  std::string local_only = kDateTime;
  local_only.replace(local_only.find("tt:UTCDateTime>"), 15, "tt:UTCDateTimX>");
  local_only.replace(local_only.find("tt:UTCDateTime>"), 15, "tt:UTCDateTimX>");
  BOOST_TEST(!parse_system_date_time(body_of(local_only, d)).has_value());
}

BOOST_AUTO_TEST_CASE(reads_device_information_with_default_namespace) {
  std::optional<XmlDoc> d;
  const DeviceInformation i = parse_device_information(body_of(kDeviceInformation, d));
  BOOST_TEST(i.maker == "ACME & Sons");
  BOOST_TEST(i.model == "IPC-2000");
  BOOST_TEST(i.firmware == "V5.6.3 build 200101");
  BOOST_TEST(i.serial == "SN123");
}

BOOST_AUTO_TEST_CASE(finds_media_and_media2_in_services) {
  std::optional<XmlDoc> d;
  const MediaServices s = parse_services(body_of(kServices, d));
  BOOST_TEST(s.media == "http://192.168.1.64/onvif/Media");
  BOOST_TEST(s.media2 == "http://192.168.1.64/onvif/Media2");
}

BOOST_AUTO_TEST_CASE(finds_media_in_capabilities) {
  std::optional<XmlDoc> d;
  const MediaServices s = parse_capabilities(body_of(kCapabilities, d));
  BOOST_TEST(s.media == "http://10.0.0.5:8000/onvif/media_service");
  BOOST_TEST(s.media2.empty());
}

BOOST_AUTO_TEST_CASE(reads_media_profiles_with_odd_prefixes) {
  std::optional<XmlDoc> d;
  const auto p = parse_profiles(body_of(kMediaProfiles, d));
  BOOST_REQUIRE_EQUAL(p.size(), 3u);
  BOOST_TEST(p[0].token == "Profile_1");
  BOOST_TEST(p[0].name == "mainStream");
  BOOST_TEST(p[0].codec == "h264");
  BOOST_TEST(p[0].width == 2560);
  BOOST_TEST(p[0].height == 1440);
  BOOST_TEST(p[0].fps == 25.0);
  BOOST_TEST(p[0].bitrate_kbps == 4096);
  BOOST_TEST(!p[0].media2);
  BOOST_TEST(p[1].width == 640);
  BOOST_TEST(p[2].codec.empty());
  BOOST_TEST(p[2].width == 0);
}

BOOST_AUTO_TEST_CASE(reads_media2_profiles_with_default_namespaces) {
  std::optional<XmlDoc> d;
  const auto p = parse_profiles(body_of(kMedia2Profiles, d));
  BOOST_REQUIRE_EQUAL(p.size(), 2u);
  BOOST_TEST(p[0].codec == "hevc");
  BOOST_TEST(p[0].fps == 25.0);
  BOOST_TEST(p[0].bitrate_kbps == 2048);
  BOOST_TEST(p[0].media2);
  BOOST_TEST(p[1].name == "thirdStream");  // tt:Name instead of tr2:Name
  BOOST_TEST(p[1].codec == "mjpeg");
  BOOST_TEST(p[1].fps == 12.5);
}

BOOST_AUTO_TEST_CASE(merges_profiles_by_token_media2_first) {
  std::optional<XmlDoc> d1;
  std::optional<XmlDoc> d2;
  auto media = parse_profiles(body_of(kMediaProfiles, d1));
  media[0].snapshot_uri = "http://cam/snap1";
  const auto merged = merge_profiles(media, parse_profiles(body_of(kMedia2Profiles, d2)));
  BOOST_REQUIRE_EQUAL(merged.size(), 4u);
  BOOST_TEST(merged[0].token == "Profile_1");
  BOOST_TEST(merged[0].codec == "hevc");  // Media2 knows it is H.265
  BOOST_TEST(merged[0].snapshot_uri == "http://cam/snap1");
  BOOST_TEST(merged[1].token == "Profile_4");
  BOOST_TEST(merged[2].token == "Profile_2");
  BOOST_TEST(!merged[2].media2);
  BOOST_TEST(merged[3].token == "Profile_3");
}

BOOST_AUTO_TEST_CASE(stream_uri_is_unescaped_and_trimmed) {
  std::optional<XmlDoc> d;
  BOOST_TEST(parse_media_uri(body_of(kStreamUri, d)) ==
             "rtsp://192.168.1.64:554/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif");
}

BOOST_AUTO_TEST_CASE(media2_snapshot_uri_with_odd_prefix) {
  std::optional<XmlDoc> d;
  const std::string uri = parse_media_uri(body_of(kMedia2SnapshotUri, d));
  BOOST_TEST(uri == "http://0.0.0.0/onvif/snapshot?token=Profile_1&size=full");
  BOOST_TEST(usable_url(uri, "10.0.0.5") == "http://10.0.0.5/onvif/snapshot?token=Profile_1&size=full");
}

BOOST_AUTO_TEST_CASE(usable_url_replaces_only_unusable_hosts) {
  BOOST_TEST(usable_url("rtsp://0.0.0.0:554/s", "10.0.0.5") == "rtsp://10.0.0.5:554/s");
  BOOST_TEST(usable_url("rtsp://127.0.0.1/s", "10.0.0.5") == "rtsp://10.0.0.5/s");
  BOOST_TEST(usable_url("rtsp://127.0.0.1/s", "127.0.0.1") == "rtsp://127.0.0.1/s");
  BOOST_TEST(usable_url("rtsp://[::]:554/s", "10.0.0.5") == "rtsp://10.0.0.5:554/s");
  BOOST_TEST(usable_url("rtsp://192.168.1.64/s", "10.0.0.5") == "rtsp://192.168.1.64/s");
  BOOST_TEST(usable_url("rtsp://u:p@0.0.0.0/s", "10.0.0.5") == "rtsp://u:p@10.0.0.5/s");
  BOOST_TEST(usable_url("http://0.0.0.0/x", "fe80::1") == "http://[fe80::1]/x");
}

BOOST_AUTO_TEST_CASE(codec_names_are_ffmpegs) {
  BOOST_TEST(codec_name("H264") == "h264");
  BOOST_TEST(codec_name("h265") == "hevc");
  BOOST_TEST(codec_name("JPEG") == "mjpeg");
  BOOST_TEST(codec_name("MP4V-ES") == "mpeg4");
  BOOST_TEST(codec_name("SVAC") == "svac");
  BOOST_TEST(codec_name("").empty());
}

BOOST_AUTO_TEST_CASE(main_profile_is_the_largest_with_a_stream) {
  Device d;
  d.profiles.resize(3);
  d.profiles[0].width = 640;
  d.profiles[0].height = 360;
  d.profiles[0].stream_uri = "rtsp://a/sub";
  d.profiles[1].width = 2560;
  d.profiles[1].height = 1440;  // no stream URI
  d.profiles[2].width = 1920;
  d.profiles[2].height = 1080;
  d.profiles[2].stream_uri = "rtsp://a/main";
  BOOST_REQUIRE(main_profile(d) != nullptr);
  BOOST_TEST(main_profile(d)->stream_uri == "rtsp://a/main");
  d.profiles.clear();
  BOOST_TEST(main_profile(d) == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
