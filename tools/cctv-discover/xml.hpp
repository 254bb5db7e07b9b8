// SPDX-License-Identifier: MIT
// A small read-only view of an XML document (libxml2): elements found by namespace URI and local name.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/error.hpp"

// libxml2's types, declared here so that its headers stay in xml.cpp.
struct _xmlDoc;
struct _xmlNode;

namespace cctv::discover {

// An element of an XmlDoc, or the empty node (false in a condition), which
// every accessor accepts: a missing element reads as an empty string, so
// `doc.root().child(a).child(b).text()` needs no checks in between.
//
// Elements are matched by namespace URI and local name, never by prefix:
// cameras use any prefix (MC1:, ns2:, none with a default namespace).
// Valid only while its XmlDoc lives.
class XmlNode {
 public:
  XmlNode() = default;
  explicit XmlNode(_xmlNode* n) : n_(n) {}
  explicit operator bool() const { return n_ != nullptr; }

  // The first child element `ns`:`local`, or the empty node.
  [[nodiscard]] XmlNode child(std::string_view ns, std::string_view local) const;
  // Every child element `ns`:`local`, in document order.
  [[nodiscard]] std::vector<XmlNode> children(std::string_view ns, std::string_view local) const;
  // The first element `ns`:`local` at or below this one (depth first, document order).
  [[nodiscard]] XmlNode find(std::string_view ns, std::string_view local) const;
  // Every element `ns`:`local` below this one, in document order; matches
  // inside a match are included.
  [[nodiscard]] std::vector<XmlNode> find_all(std::string_view ns, std::string_view local) const;

  // The text content (entities decoded, `&amp;` is `&`), with the white
  // space around it removed: cameras wrap URIs in newlines and blanks.
  [[nodiscard]] std::string text() const;
  // The value of the attribute `name` that has no namespace, or "".
  [[nodiscard]] std::string attr(std::string_view name) const;
  // The element's local name and namespace URI ("" for the empty node).
  [[nodiscard]] std::string_view local_name() const;
  [[nodiscard]] std::string_view ns() const;
  // The namespace URI bound to `prefix` ("" for the default namespace) in
  // scope at this element, or "" when none is: for QName values such as a
  // SOAP fault's "ter:NotAuthorized".
  [[nodiscard]] std::string lookup_namespace(std::string_view prefix) const;

 private:
  _xmlNode* n_ = nullptr;
};

// A parsed document. Move-only; frees the tree when destroyed.
//
// Parsing never reaches the network or expands external entities. A document
// that is not well-formed is parsed again in libxml2's recovery mode (some
// cameras send broken UTF-8 in GetDeviceInformation); only when nothing
// usable comes out is it an error. Thread-safe: documents share nothing.
class XmlDoc {
 public:
  // kFailure "not XML" (with libxml2's reason as the cause) when `text` has
  // no root element even in recovery mode.
  [[nodiscard]] static Result<XmlDoc> parse(std::string_view text);

  [[nodiscard]] XmlNode root() const;

 private:
  struct Free {
    void operator()(_xmlDoc* d) const;
  };
  explicit XmlDoc(_xmlDoc* d) : doc_(d) {}
  std::unique_ptr<_xmlDoc, Free> doc_;
};

// `text` with & < > " ' written as entities, for element text and attribute
// values in the requests we build.
[[nodiscard]] std::string xml_escape(std::string_view text);

}  // namespace cctv::discover
