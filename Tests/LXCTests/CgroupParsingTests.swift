@testable import LXC
import Testing
