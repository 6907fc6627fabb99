#include "ballast/margin/account.hpp"
