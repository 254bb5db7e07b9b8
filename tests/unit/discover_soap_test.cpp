// SPDX-License-Identifier: MIT
// Tests for cctv-discover's SOAP layer: XML reading, envelopes, UsernameToken, HTTP Digest, faults.
#include <chrono>

#include <boost/test/unit_test.hpp>

#include "http_digest.hpp"
#include "soap.hpp"
#include "xml.hpp"

using namespace cctv;
using namespace cctv::discover;

BOOST_AUTO_TEST_SUITE(discover_soap)

BOOST_AUTO_TEST_CASE(xml_finds_elements_by_namespace_not_prefix) {
  auto doc = XmlDoc::parse(
      "<a:Root xmlns:a='urn:a' xmlns:MC1='urn:b'><MC1:Item>one</MC1:Item>"
      "<Item xmlns='urn:b'>two</Item><a:Item>not b</a:Item></a:Root>");
  BOOST_REQUIRE(doc);
  const auto items = doc->root().children("urn:b", "Item");
  BOOST_REQUIRE_EQUAL(items.size(), 2u);
  BOOST_TEST(items[0].text() == "one");
  BOOST_TEST(items[1].text() == "two");
  BOOST_TEST(doc->root().child("urn:a", "Item").text() == "not b");
  BOOST_TEST(!doc->root().child("urn:c", "Item"));
  BOOST_TEST(doc->root().child("urn:c", "Item").child("urn:b", "X").text().empty());
}

BOOST_AUTO_TEST_CASE(xml_text_decodes_entities_and_trims_blanks) {
  auto doc = XmlDoc::parse("<u>\r\n   rtsp://h/x?a=1&amp;b=2 \n\t</u>");
  BOOST_REQUIRE(doc);
  BOOST_TEST(doc->root().text() == "rtsp://h/x?a=1&b=2");
}

BOOST_AUTO_TEST_CASE(xml_refuses_what_is_not_xml) {
  auto doc = XmlDoc::parse("<html><body>401 Unauthorized");  // recovered: has a root
  BOOST_TEST(doc.has_value());
  BOOST_TEST(!XmlDoc::parse("").has_value());
  BOOST_TEST(!XmlDoc::parse("HTTP/1.1 garbage").has_value());
}

BOOST_AUTO_TEST_CASE(xml_never_expands_external_entities) {
  auto doc = XmlDoc::parse(
      "<!DOCTYPE r [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><r>&x;</r>");
  if (doc) BOOST_TEST(doc->root().text().find("root:") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(xml_escape_escapes_markup) {
  BOOST_TEST(xml_escape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&apos;");
}

BOOST_AUTO_TEST_CASE(created_is_utc_with_z) {
  const auto t = std::chrono::system_clock::from_time_t(1796635805);  // 2026-12-07 09:30:05 UTC
  BOOST_TEST(format_created(t) == "2026-12-07T09:30:05Z");
  BOOST_TEST(format_created(t + std::chrono::milliseconds(999)) == "2026-12-07T09:30:05Z");
}

// Expected values computed independently (Python hashlib/base64).
BOOST_AUTO_TEST_CASE(password_digest_is_base64_sha1_of_nonce_created_password) {
  std::string nonce;
  for (int i = 0; i < 16; ++i) nonce += static_cast<char>(i);
  BOOST_TEST(password_digest(nonce, "2026-12-07T10:00:00Z", "pa&ss") == "5EFI/+0wJhRMp/MbNfJ5ALHsIsc=");
  BOOST_TEST(base64(nonce) == "AAECAwQFBgcICQoLDA0ODw==");
  BOOST_TEST(base64("") == "");
  BOOST_TEST(base64("f") == "Zg==");
}

BOOST_AUTO_TEST_CASE(security_header_carries_escaped_user_and_no_password) {
  const std::string h = security_header("ad<min", "s3cret", "0123456789abcdef", "2026-12-07T10:00:00Z");
  BOOST_TEST(h.find("<wsse:Username>ad&lt;min</wsse:Username>") != std::string::npos);
  BOOST_TEST(h.find("#PasswordDigest\">") != std::string::npos);
  BOOST_TEST(h.find("<wsu:Created>2026-12-07T10:00:00Z</wsu:Created>") != std::string::npos);
  BOOST_TEST(h.find("s3cret") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(envelope_is_soap12_and_parses_back) {
  const std::string env =
      soap_envelope("<tds:GetDeviceInformation/>",
                    security_header("admin", "pw", "0123456789abcdef", "2026-12-07T10:00:00Z"));
  auto doc = XmlDoc::parse(env);
  BOOST_REQUIRE(doc);
  BOOST_TEST(doc->root().ns() == ns::kSoap12);
  const XmlNode body = soap_body(*doc);
  BOOST_TEST(static_cast<bool>(body.child(ns::kDevice, "GetDeviceInformation")));
  const XmlNode token = doc->root().find(ns::kWsse, "UsernameToken");
  BOOST_TEST(token.child(ns::kWsse, "Username").text() == "admin");
  BOOST_TEST(token.child(ns::kWsse, "Nonce").text() == base64("0123456789abcdef"));
  BOOST_TEST(token.child(ns::kWsu, "Created").text() == "2026-12-07T10:00:00Z");
}

BOOST_AUTO_TEST_CASE(fault_subcodes_are_read_by_local_name) {
  auto doc = XmlDoc::parse(R"(<?xml version="1.0"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:ter="http://www.onvif.org/ver10/error">
 <env:Body><env:Fault>
  <env:Code><env:Value>env:Sender</env:Value>
   <env:Subcode><env:Value>ter:NotAuthorized</env:Value></env:Subcode></env:Code>
  <env:Reason><env:Text xml:lang="en">Sender not Authorized</env:Text></env:Reason>
 </env:Fault></env:Body></env:Envelope>)");
  BOOST_REQUIRE(doc);
  auto f = soap_fault(soap_body(*doc));
  BOOST_REQUIRE(f);
  BOOST_TEST(f->codes.size() == 2u);
  BOOST_TEST(f->is_auth());
  BOOST_TEST(f->describe() == "Sender/NotAuthorized: Sender not Authorized");
}

BOOST_AUTO_TEST_CASE(soap11_fault_and_other_faults_are_not_auth) {
  auto doc = XmlDoc::parse(
      "<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'><s:Body><s:Fault>"
      "<faultcode>s:Client</faultcode><faultstring>Action not supported</faultstring>"
      "</s:Fault></s:Body></s:Envelope>");
  BOOST_REQUIRE(doc);
  auto f = soap_fault(soap_body(*doc));
  BOOST_REQUIRE(f);
  BOOST_TEST(!f->is_auth());
  BOOST_TEST(f->describe() == "Client: Action not supported");
  auto ok = XmlDoc::parse(
      "<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'><s:Body><x/></s:Body></s:Envelope>");
  BOOST_TEST(!soap_fault(soap_body(*ok)).has_value());
}

// RFC 2617 section 3.5 and RFC 7616 section 3.9.1 examples.
BOOST_AUTO_TEST_CASE(digest_matches_rfc_examples) {
  DigestChallenge c{"testrealm@host.com", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "5ccc069c403ebaf9f0171e9517f40e41",
                    "MD5", true, false};
  const std::string h = digest_authorization(c, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", "0a4f113b", 1);
  BOOST_TEST(h.find("response=\"6629fae49393a05397450978507c4ef1\"") != std::string::npos);
  BOOST_TEST(h.find("nc=00000001") != std::string::npos);
  BOOST_TEST(h.find("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"") != std::string::npos);

  DigestChallenge c7{"http-auth@example.org", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "", "MD5", true, false};
  const std::string cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  BOOST_TEST(digest_authorization(c7, "Mufasa", "Circle of Life", "GET", "/dir/index.html", cnonce, 1)
                 .find("response=\"8ca523f5e9506fed4657c9700eebdbec\"") != std::string::npos);
  c7.algorithm = "SHA-256";
  BOOST_TEST(digest_authorization(c7, "Mufasa", "Circle of Life", "GET", "/dir/index.html", cnonce, 1)
                 .find("response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\"") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(digest_without_qop_and_sess_variant) {
  DigestChallenge c{"cam", "abc", "", "MD5", false, false};
  const std::string h = digest_authorization(c, "admin", "secret", "POST", "/onvif/device_service", "0a4f113b", 1);
  BOOST_TEST(h.find("response=\"c75b85640a02c38ebf7d1a407f640988\"") != std::string::npos);
  BOOST_TEST(h.find("qop") == std::string::npos);
  c.qop_auth = true;
  c.algorithm = "MD5-sess";
  BOOST_TEST(digest_authorization(c, "admin", "secret", "POST", "/onvif/device_service", "0a4f113b", 2)
                 .find("response=\"ae93b9d01c8dc0d33076edb1cad5093e\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(parses_digest_among_several_challenges) {
  auto c = parse_digest_challenge({"Basic realm=\"cam\"",
                                   "Digest realm=\"IP Camera(C2358)\", qop=\"auth,auth-int\", "
                                   "nonce=\"4e6a4d7a\", opaque=\"\", stale=FALSE"});
  BOOST_REQUIRE(c);
  BOOST_TEST(c->realm == "IP Camera(C2358)");
  BOOST_TEST(c->nonce == "4e6a4d7a");
  BOOST_TEST(c->qop_auth);
  BOOST_TEST(!c->stale);
  BOOST_TEST(c->algorithm == "MD5");
  // Both in one header value, Digest second; quoted commas and escapes.
  auto d = parse_digest_challenge({"Basic realm=\"a, b\", Digest realm=\"x\\\"y\", nonce=n1, algorithm=SHA-256, stale=true"});
  BOOST_REQUIRE(d);
  BOOST_TEST(d->realm == "x\"y");
  BOOST_TEST(d->algorithm == "SHA-256");
  BOOST_TEST(d->stale);
  BOOST_TEST(!d->qop_auth);
}

BOOST_AUTO_TEST_CASE(refuses_challenges_it_cannot_answer) {
  BOOST_TEST(!parse_digest_challenge({"Basic realm=\"cam\""}).has_value());
  BOOST_TEST(!parse_digest_challenge({"Digest realm=\"cam\", nonce=\"n\", algorithm=SHA-512-256"}).has_value());
  BOOST_TEST(!parse_digest_challenge({"Digest realm=\"cam\", nonce=\"n\", qop=\"auth-int\""}).has_value());
  BOOST_TEST(!parse_digest_challenge({"Digest realm=\"cam\""}).has_value());
  BOOST_TEST(!parse_digest_challenge({}).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
