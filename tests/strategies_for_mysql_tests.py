"""Strategies that exist only for the MariaDB tests; loaded through LAB_STRATEGY_MODULES."""

from labproject.strategies.base import MYSQL, strategy
from tests.strategies_for_pg_tests import slow_walk

strategy("test_mysql_slow_walk", "iterator() + save(), slowly", why="A walk to stop the server under.",
         family="experiment", backends={MYSQL})(slow_walk)
