// SPDX-License-Identifier: MIT
// XmlDoc and XmlNode over libxml2's tree API.
#include "xml.hpp"

#include <climits>
#include <mutex>

#include <libxml/parser.h>
#include <libxml/tree.h>

namespace cctv::discover {

namespace {

std::string_view sv(const xmlChar* s) {
  return s == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(s));
}

bool is(const xmlNode* n, std::string_view ns, std::string_view local) {
  return n->type == XML_ELEMENT_NODE && sv(n->name) == local && sv(n->ns != nullptr ? n->ns->href : nullptr) == ns;
}

std::string trim(std::string_view s) {
  constexpr std::string_view kBlank = " \t\r\n";
  const size_t b = s.find_first_not_of(kBlank);
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(kBlank) - b + 1));
}

void collect(xmlNode* first, std::string_view ns, std::string_view local, std::vector<XmlNode>& out, bool one) {
  for (xmlNode* c = first; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (is(c, ns, local)) {
      out.emplace_back(c);
      if (one) return;
    }
    collect(c->children, ns, local, out, one);
    if (one && !out.empty()) return;
  }
}

// Options for every parse: no network, no entity expansion, libxml2's own
// messages off (the error is reported by us, once).
constexpr int kOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

}  // namespace

XmlNode XmlNode::child(std::string_view ns, std::string_view local) const {
  if (n_ == nullptr) return {};
  for (xmlNode* c = n_->children; c != nullptr; c = c->next) {
    if (is(c, ns, local)) return XmlNode(c);
  }
  return {};
}

std::vector<XmlNode> XmlNode::children(std::string_view ns, std::string_view local) const {
  std::vector<XmlNode> out;
  if (n_ == nullptr) return out;
  for (xmlNode* c = n_->children; c != nullptr; c = c->next) {
    if (is(c, ns, local)) out.emplace_back(c);
  }
  return out;
}

XmlNode XmlNode::find(std::string_view ns, std::string_view local) const {
  if (n_ == nullptr) return {};
  if (is(n_, ns, local)) return *this;
  std::vector<XmlNode> out;
  collect(n_->children, ns, local, out, true);
  return out.empty() ? XmlNode() : out.front();
}

std::vector<XmlNode> XmlNode::find_all(std::string_view ns, std::string_view local) const {
  std::vector<XmlNode> out;
  if (n_ != nullptr) collect(n_->children, ns, local, out, false);
  return out;
}

std::string XmlNode::text() const {
  if (n_ == nullptr) return {};
  xmlChar* content = xmlNodeGetContent(n_);
  std::string out = trim(sv(content));
  xmlFree(content);
  return out;
}

std::string XmlNode::attr(std::string_view name) const {
  if (n_ == nullptr) return {};
  const std::string key(name);
  xmlChar* v = xmlGetNoNsProp(n_, reinterpret_cast<const xmlChar*>(key.c_str()));
  std::string out(sv(v));
  xmlFree(v);
  return out;
}

std::string_view XmlNode::local_name() const { return n_ == nullptr ? std::string_view() : sv(n_->name); }

std::string_view XmlNode::ns() const {
  return n_ == nullptr || n_->ns == nullptr ? std::string_view() : sv(n_->ns->href);
}

std::string XmlNode::lookup_namespace(std::string_view prefix) const {
  if (n_ == nullptr) return {};
  const std::string p(prefix);
  const xmlNs* found = xmlSearchNs(n_->doc, n_, p.empty() ? nullptr : reinterpret_cast<const xmlChar*>(p.c_str()));
  return found == nullptr ? std::string() : std::string(sv(found->href));
}

void XmlDoc::Free::operator()(_xmlDoc* d) const { xmlFreeDoc(d); }

Result<XmlDoc> XmlDoc::parse(std::string_view text) {
  static std::once_flag init;
  std::call_once(init, [] { xmlInitParser(); });
  if (text.size() > static_cast<size_t>(INT_MAX)) return fail(ExitCode::kFailure, "not XML", "too large");
  const int size = static_cast<int>(text.size());
  std::string reason;
  for (const int options : {kOptions, kOptions | XML_PARSE_RECOVER}) {
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (ctxt == nullptr) return fail(ExitCode::kFailure, "not XML", "out of memory");
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, text.data(), size, nullptr, nullptr, options);
    if (reason.empty()) {
      if (const xmlError* e = xmlCtxtGetLastError(ctxt); e != nullptr && e->message != nullptr) {
        reason = trim(e->message);
      }
    }
    xmlFreeParserCtxt(ctxt);
    if (doc != nullptr && xmlDocGetRootElement(doc) != nullptr) return XmlDoc(doc);
    if (doc != nullptr) xmlFreeDoc(doc);
  }
  return fail(ExitCode::kFailure, "not XML", reason.empty() ? "no root element" : reason);
}

XmlNode XmlDoc::root() const { return XmlNode(xmlDocGetRootElement(doc_.get())); }

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace cctv::discover
