// Lets Tins::PacketWriter write LINKTYPE_RAW pcaps of bare IPv4 packets (TUN captures, fixtures).
// Debian's libtins 4.0 maps no PDU to DLT_RAW; should a newer libtins add the mapping, this
// specialisation will collide at compile time and must go.
#pragma once

#include <tins/data_link_type.h>
#include <tins/ip.h>

namespace Tins {

template <>
struct DataLinkType<IP> {
  static const int type = DLT_RAW;  // libpcap writes it to the file as LINKTYPE_RAW (101)
  int get_type() const { return type; }
};

}  // namespace Tins
