#include "ballast/market/oracle.hpp"
