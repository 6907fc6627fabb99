#include "ballast/market/instrument.hpp"
