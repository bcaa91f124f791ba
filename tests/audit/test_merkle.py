"""RFC 6962 Merkle hashing against the test vectors of STANDARDS §6.2."""

import pytest

from apps.audit.integrity import merkle

LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]
ROOTS = ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
PATH_0_OF_8 = ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
               "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]


@pytest.mark.parametrize("n", range(9))
def test_roots_of_the_first_n_leaves(n):
    assert merkle.root(LEAVES[:n]).hex() == ROOTS[n]


def test_the_inclusion_path_of_leaf_0_of_8_and_its_verification():
    proof = merkle.inclusion_proof(0, LEAVES)
    assert [p.hex() for p in proof] == PATH_0_OF_8
    assert merkle.verify_inclusion(LEAVES[0], 0, 8, proof, bytes.fromhex(ROOTS[8]))
    assert not merkle.verify_inclusion(LEAVES[1], 0, 8, proof, bytes.fromhex(ROOTS[8]))


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8])
def test_every_leaf_of_every_size_proves_its_inclusion(size):
    leaves, expected = LEAVES[:size], bytes.fromhex(ROOTS[size])
    for index in range(size):
        assert merkle.verify_inclusion(leaves[index], index, size, merkle.inclusion_proof(index, leaves), expected)
