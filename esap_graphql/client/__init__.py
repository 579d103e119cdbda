"""A notebook's way to its ESAP basket: read it as an astropy Table, add records back.

Light on purpose (httpx and astropy, nothing of the gateway), so a notebook environment only
needs ``pip install esap-graphql`` or this folder::

    from esap_graphql.client import connect

    basket = connect()             # what the launch set up: esap.json or ESAP_* variables
    table = basket.table()         # astropy Table, one row per item
    basket.add([{"dataset": "apertif-dr1", "record_id": "my-source-1", "ra": 10.1, "dec": 5.2,
                 "flux": 0.31}])   # extra columns are kept in the item's record

Without a launch, give the gateway by hand: ``connect("https://esap.example.org",
basket="project-x", token="...")``.
"""

from esap_graphql.client.basket import (
    BasketClient,
    BasketClientError,
    Connection,
    connect,
    find_connection,
)

__all__ = ["BasketClient", "BasketClientError", "Connection", "connect", "find_connection"]
