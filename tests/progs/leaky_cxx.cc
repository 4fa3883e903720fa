// C++: operator new from a method of a namespaced class; 6 leaked
// Node objects (sizeof 48) from Cache::grow(unsigned long).
#include <cstdlib>
#include <vector>

namespace store {
struct Node {
	long key[5];
	Node *next;
};

class Cache {
public:
	__attribute__((noinline)) void grow(unsigned long n)
	{
		for (unsigned long i = 0; i < n; i++)
			head_ = new Node{ { (long)i }, head_ }; // LEAK_CXX
	}

private:
	Node *head_ = nullptr;
};
} // namespace store

int main()
{
	static store::Cache c;
	std::vector<int> v(1000); // freed at exit of scope: not a leak
	c.grow(6);
	return (int)v.size() - 1000;
}
